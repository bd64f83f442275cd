// The back end behind OUR relay listener in the HC cases: a small echo / document service.
// In: relayed requests (HcRequest) on `/<hc>/<route>[?query]`. Out: answers through HcResponse
// and a record of what each request looked like. Routes:
//   echo (default)          200 JSON: who served it, method, target, headers, body size and sha-256
//   mirror                  200 with the request body as the response body
//   pdf?bytes=N&seed=S      200 application/pdf: N deterministic bytes streamed with
//                           back-pressure (`&declare=1` also sends their Content-Length)
import { pipeline } from 'node:stream/promises';
import type { HcHandler, HcMode } from '../../../relay/src/transports';
import { SeededSource, sha256Hex } from './bytes';

export interface Served {
  readonly id: string;
  readonly method: string;
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly mode: HcMode;
  readonly size: number;
  readonly sha256: string;
}

export interface BackEnd {
  readonly handler: HcHandler;
  /** Every request the back end was handed, in arrival order. */
  readonly served: Served[];
  /** The sources of the pdf route, newest last (to see how far they ran ahead). */
  readonly sources: SeededSource[];
}

async function readAll(body: AsyncIterable<Buffer>): Promise<{ data: Buffer; sha256: string }> {
  const hash = sha256Hex.start();
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    hash.update(chunk);
    chunks.push(chunk);
  }
  return { data: Buffer.concat(chunks), sha256: hash.digest() };
}

/** A back end named `name` (the name comes back in echo answers and the X-Served-By header). */
export function backEnd(name = 'back-office'): BackEnd {
  const served: Served[] = [];
  const sources: SeededSource[] = [];
  const handler: HcHandler = async (req, res) => {
    const url = new URL(req.target, 'http://relay.invalid');
    const route = url.pathname.split('/')[2] ?? '';
    if (route === 'pdf') {
      // The body (if any) is read and hashed first, so both directions can be checked.
      const { sha256 } = await readAll(req.body);
      served.push({ ...summary(req), sha256 });
      const bytes = Number(url.searchParams.get('bytes') ?? '0');
      const seed = url.searchParams.get('seed') ?? 'pdf';
      const source = new SeededSource(seed, bytes, { pdf: true });
      sources.push(source);
      res.status(200, 'OK', {
        'Content-Type': 'application/pdf',
        'X-Served-By': name,
        'X-Request-Sha256': sha256,
        ...(url.searchParams.get('declare') === '1' ? { 'Content-Length': bytes } : {}),
      });
      await pipeline(source, res.body);
      return;
    }
    const { data, sha256 } = await readAll(req.body);
    const record: Served = { ...summary(req), sha256 };
    served.push(record);
    if (route === 'mirror') {
      res.status(200, 'OK', {
        'Content-Type': req.headers['content-type'] ?? 'application/octet-stream',
        'X-Served-By': name,
      });
      res.body.end(data);
      return;
    }
    await res.send(200, JSON.stringify({ servedBy: name, ...record }), {
      'Content-Type': 'application/json',
      'X-Served-By': name,
    });
  };
  return { handler, served, sources };
}

function summary(req: Parameters<HcHandler>[0]): Omit<Served, 'sha256'> {
  return {
    id: req.id,
    method: req.method,
    target: req.target,
    headers: req.headers,
    mode: req.mode,
    size: req.size,
  };
}
