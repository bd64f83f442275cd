// ENV-026: the sealed form is exactly the one docs/protocol/envelope-v1.md specifies. An
// independent reference opener, written from the spec with the plain primitives (HKDF, one
// AES-256-GCM open per segment, nonces and AADs computed here), opens what sealBody produced
// for every boundary size; and a fixed input seals to a fixed digest (a known answer that
// catches any change of format). In: fixed inputs. Out: tap results.
import { createHash } from 'node:crypto';
import { kase } from '../lib/case';
import { metadataToHeaders, sealBody } from '../../relay/src/protocol/envelope';
import { aeadOpen, fromB64url, hkdf32 } from '../../relay/src/protocol/primitives';
import {
  BOUNDARY_SIZES,
  FIXED_KEY,
  FIXED_NOW,
  sampleBody,
  sealParams,
} from '../fuzz/targets/envelope';

/** The spec's open, transcribed: returns the body or undefined. */
function referenceOpen(
  headers: Record<string, string>,
  sealed: Buffer,
  b: { tenant: string; messageId: string; route: string; direction: string },
): Buffer | undefined {
  const salt = fromB64url(headers['rc-salt'] ?? '');
  const iv = fromB64url(headers['rc-iv'] ?? '');
  const ts = headers['rc-ts'];
  if (salt === undefined || iv === undefined || ts === undefined) return undefined;
  const key = hkdf32(FIXED_KEY, salt, 'relaycheck env v1 ' + b.direction + ' ' + b.tenant);
  const aad = `v1|${b.tenant}|${b.messageId}|${b.route}|${ts}|${b.direction}`;
  const SEG = 65536;
  const count = Math.max(1, Math.ceil(sealed.length / (SEG + 16)));
  const total = sealed.length - 16 * count;
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const piece = sealed.subarray(i * (SEG + 16), (i + 1) * (SEG + 16));
    const nonce = Buffer.from(iv);
    const counter = nonce.readBigUInt64BE(4) ^ BigInt(i);
    nonce.writeBigUInt64BE(counter, 4);
    const flag = i === count - 1 ? `final|${String(total)}` : 'more';
    const pt = aeadOpen(
      key,
      nonce,
      Buffer.from(`${aad}|seg|${String(i)}|${flag}`, 'utf8'),
      piece.subarray(0, piece.length - 16),
      piece.subarray(piece.length - 16),
    );
    if (pt === undefined) return undefined;
    parts.push(pt);
  }
  return Buffer.concat(parts);
}

void kase('ENV-026', (t) => {
  const binding = {
    tenant: 'council-42',
    messageId: 'msg-0001',
    route: 'council-tax/retrieve',
    direction: 'r2c' as const,
  };
  for (const n of BOUNDARY_SIZES) {
    const body = sampleBody(n, n);
    const { metadata, sealed } = sealBody(sealParams(binding), body);
    const opened = referenceOpen(metadataToHeaders(metadata), sealed, binding);
    t.ok(opened?.equals(body), `the reference opener opens a ${n}-byte body`);
  }
  const { metadata, sealed } = sealBody(sealParams(), sampleBody(150_000));
  t.same(
    metadataToHeaders(metadata),
    {
      'rc-env': 'v1',
      'rc-kid': 'k-2025',
      'rc-salt': '64K-BJu4_x9ZN8NYPAH9oQ',
      'rc-iv': 'kqy6CeDLU2aznJ36',
      'rc-ts': String(FIXED_NOW),
    },
    'the fixed input gives the known metadata',
  );
  t.equal(
    createHash('sha256').update(sealed).digest('hex'),
    '8dad5fea261b219c14b636274bbbfe9d87479a78a283179274eff0e4ebf2b0f9',
    'the fixed input seals to the known digest',
  );
  t.end();
});
