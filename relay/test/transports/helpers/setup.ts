// One listener wired to mock-socket services, a fake scheduler and an event log, torn down by
// the test. In: a handler and config overrides. Out: the listener, the control-channel and
// rendezvous mock services, helpers for rendezvous addresses and request frames.
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'mock-socket';
import {
  browserSocketFactory,
  type BrowserWebSocketConstructor,
} from '../../../src/transports/browser-socket';
import type { HcListenerConfigInput } from '../../../src/transports/hc-config';
import type { HcHandler } from '../../../src/transports/hc-handler';
import { HybridListener, type HcListenerDeps } from '../../../src/transports/hc-listener';
import type { SocketFactory } from '../../../src/transports/socket';
import { EventLog } from './events';
import { FakeScheduler } from './fake-scheduler';
import { MockHcService, type MockPeer } from './mock-service';

let counter = 0;

export interface Setup {
  readonly listener: HybridListener;
  readonly scheduler: FakeScheduler;
  readonly events: EventLog;
  readonly control: MockHcService;
  readonly rdv: MockHcService;
  readonly host: string;
  readonly path: string;
  readonly key: string;
  /** A rendezvous address the mock rendezvous service answers. */
  address(id: string): string;
  /** Starts the listener and returns the control-channel peer once it is open. */
  connect(): Promise<MockPeer>;
}

export interface SetupOptions {
  readonly handler?: HcHandler;
  readonly config?: Partial<HcListenerConfigInput>;
  readonly sockets?: SocketFactory;
  readonly deps?: Partial<HcListenerDeps>;
  /** A port for the endpoint URL (e.g. 9352); give deps.dial to map it back to the mock. */
  readonly port?: number;
}

export const okHandler: HcHandler = (_req, res) => {
  res.status(200);
  res.body.end();
};

export function setup(t: tap.Test, options: SetupOptions = {}): Setup {
  const n = ++counter;
  const ns = `council-${n}-${process.pid}`;
  const host = `${ns}.servicebus.windows.net`;
  const path = `council-tax-${n}`;
  const key = randomBytes(32).toString('base64');
  const scheduler = new FakeScheduler();
  const control = new MockHcService(`wss://${host}/$hc/${path}`);
  const rdvHost = `g${n}-rdv.servicebus.windows.net`;
  const rdv = new MockHcService(`wss://${rdvHost}/$hc/${path}`);
  const listener = new HybridListener(
    {
      endpoint: options.port === undefined ? `wss://${host}` : `wss://${host}:${options.port}`,
      path,
      keyName: 'RootListen',
      key,
      ...options.config,
    },
    {
      handler: options.handler ?? okHandler,
      sockets:
        options.sockets ??
        browserSocketFactory(WebSocket as unknown as BrowserWebSocketConstructor),
      scheduler,
      random: () => 0.5,
      ...options.deps,
    },
  );
  const events = new EventLog(t, path);
  t.teardown(async () => {
    const closing = listener.close();
    scheduler.advance(listener.config.shutdownGraceMs + listener.config.closeTimeoutMs + 1);
    await closing;
    control.stop();
    rdv.stop();
  });
  return {
    listener,
    scheduler,
    events,
    control,
    rdv,
    host,
    path,
    key,
    address: (id) =>
      `wss://${rdvHost}/$hc/${path}?sb-hc-action=request&sb-hc-id=${encodeURIComponent(id)}`,
    connect: async () => {
      listener.start();
      const peer = await control.nextPeer();
      await listener.ready();
      return peer;
    },
  };
}

/** A `request` frame as the service sends it. */
export function requestFrame(
  id: string,
  fields: Partial<{
    method: string;
    requestTarget: string;
    requestHeaders: Record<string, string>;
    body: boolean;
    address: string;
  }> = {},
): { request: Record<string, unknown> } {
  return {
    request: {
      id,
      method: 'GET',
      requestTarget: `/items/${id}`,
      requestHeaders: {},
      body: false,
      ...fields,
    },
  };
}

/** Reads a Readable to the end. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}
