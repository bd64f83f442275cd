// SAS-013: hostile input. In: arbitrary strings (lone surrogates included), token-shaped
// strings, valid tokens with one edit, strings around the 4 KiB bound. Out: a grant or a
// SasError with a catalogued code; never another exception.
import fc from 'fast-check';
import {
  SAS_ERRORS,
  SAS_RIGHTS,
  SasError,
  parseSasToken,
  verifySasToken,
} from '../../relay/src/protocol/sas';
import {
  anyText,
  editedToken,
  hostileSasText,
  sasClock,
  sasOptions,
  sasTokenTarget,
  tokenShaped,
} from '../fuzz/targets/sas';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

/** True when `run` returns, or throws a SasError with a catalogued code. */
function typed(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (e) {
    return e instanceof SasError && SAS_ERRORS.codes.includes(e.code);
  }
}

void kase('SAS-013', async (t) => {
  const arbitraries: [string, fc.Arbitrary<string>][] = [
    ['arbitrary strings', anyText],
    ['token-shaped strings', tokenShaped],
    ['valid tokens with one character edited', editedToken],
  ];
  for (const [what, arbitrary] of arbitraries) {
    await t.test(`parsing and verifying ${what} yields a result or a SasError`, (t) =>
      checkProperty(
        t,
        fc.property(
          arbitrary,
          fc.constantFrom(...SAS_RIGHTS),
          (text, right) =>
            typed(() => parseSasToken(text)) &&
            typed(() => verifySasToken(text, sasOptions(right), { clock: sasClock })),
        ),
      ),
    );
  }

  await t.test('the SAS fuzz target never throws an untyped error on its own inputs', (t) =>
    checkProperty(
      t,
      fc.property(hostileSasText, (text) => typed(() => sasTokenTarget.run(text))),
    ),
  );
});
