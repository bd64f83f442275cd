// Properties of the pure parsers of the Hybrid Connections endpoint, with fast-check (seed
// printed on failure; replay with FC_SEED). In: arbitrary text as listener messages,
// arbitrary request targets and header lists. Out: a listener message is either parsed or
// refused with SIM_E_HC_FRAME (never another exception); no sb-hc-* parameter survives
// stripping and every other parameter does, in order; forwarded headers never carry a token
// header or a hop-by-hop header and always end with the service's Via entry.
import fc from 'fast-check';
import t from 'tap';
import { checkProperty } from '../../suites/lib/property';
import { SimHybridError } from '../src/cloud/hybrid';
import { parseListenerMessage } from '../src/cloud/hybrid/frames';
import { forwardRequestHeaders, stripHcParameters } from '../src/cloud/hybrid/headers';

const jsonish = fc.oneof(
  fc.string(),
  fc.json(),
  fc
    .record({
      response: fc.record(
        {
          requestId: fc.oneof(fc.string(), fc.integer()),
          statusCode: fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.string()),
          statusDescription: fc.oneof(fc.string(), fc.constant(null)),
          responseHeaders: fc.dictionary(
            fc.string(),
            fc.oneof(fc.string(), fc.integer(), fc.boolean()),
          ),
          body: fc.oneof(fc.boolean(), fc.string()),
        },
        { requiredKeys: [] },
      ),
    })
    .map((v) => JSON.stringify(v)),
  fc
    .record({ renewToken: fc.record({ token: fc.oneof(fc.string(), fc.integer()) }) })
    .map((v) => JSON.stringify(v)),
);

void t.test(
  'any listener message is parsed or refused with SIM_E_HC_FRAME, nothing else',
  async (t) => {
    await checkProperty(
      t,
      fc.property(jsonish, (text) => {
        try {
          const m = parseListenerMessage(text);
          if (m.kind === 'response') {
            const ok =
              m.response.statusCode >= 100 &&
              m.response.statusCode <= 599 &&
              Object.keys(m.response.responseHeaders).every((h) =>
                /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h),
              );
            if (!ok) return false;
          }
          return true;
        } catch (e) {
          return e instanceof SimHybridError && e.code === 'SIM_E_HC_FRAME';
        }
      }),
    );
  },
);

const param = fc.tuple(
  fc.oneof(
    fc.constantFrom('sb-hc-token', 'SB-HC-ID', 'sb-hc-action', 'sb-hc-x'),
    fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/),
  ),
  fc.stringMatching(/^[A-Za-z0-9%._~-]{0,12}$/),
);

void t.test(
  'stripping removes every sb-hc-* parameter and keeps the others in order',
  async (t) => {
    await checkProperty(
      t,
      fc.property(fc.array(param, { maxLength: 8 }), (params) => {
        const query = params.map(([k, v]) => `${k}=${v}`).join('&');
        const target = `/hyco/a${query === '' ? '' : `?${query}`}`;
        const out = stripHcParameters(target);
        const kept = params
          .filter(([k]) => !k.toLowerCase().startsWith('sb-hc-'))
          .map(([k, v]) => `${k}=${v}`);
        return out === (kept.length === 0 ? '/hyco/a' : `/hyco/a?${kept.join('&')}`);
      }),
    );
  },
);

const headerName = fc.oneof(
  fc.constantFrom(
    'ServiceBusAuthorization',
    'servicebusauthorization',
    'Authorization',
    'Connection',
    'Keep-Alive',
    'Transfer-Encoding',
    'Content-Length',
    'Proxy-Authorization',
    'TE',
    'Upgrade',
    'Via',
    'X-App',
  ),
  fc.stringMatching(/^X-[A-Za-z]{1,6}$/),
);

void t.test(
  'forwarded headers never hold a token or hop-by-hop header, and end with Via',
  async (t) => {
    await checkProperty(
      t,
      fc.property(
        fc.array(fc.tuple(headerName, fc.stringMatching(/^[ -~]{0,16}$/)), { maxLength: 12 }),
        fc.boolean(),
        (pairs, consumed) => {
          const raw = pairs.flat();
          const out = forwardRequestHeaders(raw, {
            authorizationConsumed: consumed,
            viaHost: 'council-42.servicebus.windows.net',
          });
          const names = Object.keys(out).map((n) => n.toLowerCase());
          const banned = [
            'servicebusauthorization',
            'connection',
            'keep-alive',
            'transfer-encoding',
            'content-length',
            'proxy-authorization',
            'te',
            'upgrade',
          ];
          if (names.some((n) => banned.includes(n))) return false;
          if (consumed && names.includes('authorization')) return false;
          if (new Set(names).size !== names.length) return false;
          const via = Object.entries(out).find(([n]) => n.toLowerCase() === 'via')?.[1] ?? '';
          return via.endsWith('1.1 council-42.servicebus.windows.net');
        },
      ),
    );
  },
);
