// A back-office path from a tenant can never leave the configured service. In: hostile paths
// and generated segment lists. Out: RELAY_E_ROUTE_PATH for each hostile path; every accepted
// path resolves under the service's base URL.
import fc from 'fast-check';
import t from 'tap';
import { checkPath, RelayRouteError } from '../../src/work/route-path';
import { checkProperty } from '../helpers/property';

void t.test('paths that could leave the service are refused with RELAY_E_ROUTE_PATH', (t) => {
  const hostile = [
    '',
    'accounts/1',
    '//evil.example/x',
    'http://evil.example/x',
    '/../admin',
    '/a/./b',
    '/a/%2e%2e/b',
    '/a%2fb',
    '/a\\b',
    '/a b',
    '/a\u0000b',
    '/a#frag',
    `/${'a'.repeat(2048)}`,
  ];
  for (const path of hostile) {
    let code = '';
    try {
      checkPath(path);
    } catch (e) {
      code = e instanceof RelayRouteError ? e.code : 'untyped';
    }
    t.equal(code, 'RELAY_E_ROUTE_PATH', JSON.stringify(path.slice(0, 40)));
  }
  t.equal(checkPath('/accounts/CT1?view=full'), '/accounts/CT1?view=full', 'a plain path passes');
  t.end();
});

void t.test('every path checkPath accepts stays under the base URL', (t) => {
  const segment = fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/);
  checkProperty(
    t,
    fc.property(fc.array(segment, { maxLength: 6 }), (segs) => {
      const path = '/' + segs.join('/');
      let accepted: string;
      try {
        accepted = checkPath(path);
      } catch (e) {
        if (e instanceof RelayRouteError) return true;
        throw e;
      }
      const base = new URL('http://127.0.0.1:1/svc/');
      const url = new URL(accepted.slice(1), base);
      return url.origin === base.origin && url.pathname.startsWith('/svc/');
    }),
  );
  t.end();
});
