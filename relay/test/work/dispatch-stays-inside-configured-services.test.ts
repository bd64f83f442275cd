// The dispatcher forwards work only to the configured back-office services. In: a loopback
// HTTP server standing for a back office, routes and hostile paths. Out: the forwarded method,
// path, headers and body as the server saw them; typed refusals for unknown routes and for
// paths that could leave the service; a transient typed error when the service is down.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import fc from 'fast-check';
import t from 'tap';
import { checkPath, createDispatch, RelayRouteError } from '../../src/work/dispatch';
import { checkProperty } from '../helpers/property';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function backOffice(t: tap.Test): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    void text(req).then((body) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/xml', 'x-internal': 'secret-ish' });
      res.end('<ok/>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );
  return { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/base`, seen };
}

void t.test('forwards method, path, chosen headers and body to the route service', async (t) => {
  const bo = await backOffice(t);
  const dispatch = createDispatch({
    routes: [{ name: 'council-tax', service: 'ct' }],
    backOffice: { ct: bo.url },
  });
  const res = await dispatch({
    route: 'council-tax',
    method: 'post',
    path: '/accounts/123?full=1',
    headers: { 'content-type': 'application/xml', authorization: 'Bearer x', cookie: 'a=b' },
    body: Buffer.from('<change/>'),
  });
  t.equal(res.status, 200);
  t.equal(await text(res.body), '<ok/>');
  t.same(res.headers, { 'content-type': 'application/xml' }, 'only the chosen headers return');
  t.equal(bo.seen[0]?.method, 'POST');
  t.equal(bo.seen[0]?.url, '/base/accounts/123?full=1', 'the path is appended to the base');
  t.equal(bo.seen[0]?.body, '<change/>');
  t.equal(bo.seen[0]?.headers.authorization, undefined, 'authorization stays behind');
  t.equal(bo.seen[0]?.headers.cookie, undefined, 'cookies stay behind');
});

void t.test(
  'refuses unknown routes, hostile paths and other methods without a request',
  async (t) => {
    const bo = await backOffice(t);
    const dispatch = createDispatch({
      routes: [
        { name: 'council-tax', service: 'ct' },
        { name: 'orphan', service: 'none' },
      ],
      backOffice: { ct: bo.url },
    });
    await t.rejects(dispatch({ route: 'licensing', method: 'GET', path: '/' }), {
      code: 'RELAY_E_ROUTE_UNKNOWN',
    });
    await t.rejects(
      dispatch({ route: 'orphan', method: 'GET', path: '/' }),
      {
        code: 'RELAY_E_ROUTE_UNKNOWN',
      },
      'a route whose service has no URL is unknown',
    );
    for (const path of [
      '//evil.example/x',
      'http://evil.example/',
      'accounts',
      '/../admin',
      '/a/./b',
      '/a/%2e%2e/b',
      '/a%2fb',
      '/a\\b',
      '/a b',
      '/a#frag',
      '/a\u0000',
      '',
    ]) {
      await t.rejects(
        dispatch({ route: 'council-tax', method: 'GET', path }),
        { code: 'RELAY_E_ROUTE_PATH' },
        JSON.stringify(path),
      );
    }
    await t.rejects(dispatch({ route: 'council-tax', method: 'DELETE', path: '/' }), {
      code: 'RELAY_E_ROUTE_PATH',
    });
    t.equal(bo.seen.length, 0, 'nothing reached the back office');
  },
);

void t.test('a service that is down is a transient typed error', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  const dispatch = createDispatch({
    routes: [{ name: 'r', service: 's' }],
    backOffice: { s: `http://127.0.0.1:${String(port)}` },
  });
  const e = await dispatch({ route: 'r', method: 'GET', path: '/' }).catch((x: unknown) => x);
  t.ok(e instanceof RelayRouteError);
  t.match(e, { code: 'RELAY_E_BACKOFFICE_UNAVAILABLE', http: 503 });
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
