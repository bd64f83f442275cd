// A scripted Hybrid Connections service on mock-socket, for unit tests of the listener core.
// In: the URL a mock server answers (query ignored, as mock-socket does). Out: one MockPeer per
// WebSocket the listener opens there, to read what the listener sent and to send frames,
// binary bodies and closes back. No network: mock-socket keeps everything in memory.
import { Server } from 'mock-socket';

type Data = string | Buffer;

interface ServerSocket {
  readonly url: string;
  on(type: 'message', cb: (data: unknown) => void): void;
  on(type: 'close', cb: (event: { code?: number; reason?: string }) => void): void;
  send(data: string | ArrayBuffer): void;
  close(options?: { code?: number; reason?: string }): void;
}

/** A queue whose take() resolves with the next item, already there or still to come. */
export class Inbox<T> {
  readonly #items: T[] = [];
  readonly #waiters: ((v: T) => void)[] = [];

  put(v: T): void {
    const w = this.#waiters.shift();
    if (w === undefined) this.#items.push(v);
    else w(v);
  }

  take(): Promise<T> {
    const v = this.#items.shift();
    if (v !== undefined) return Promise.resolve(v);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  get size(): number {
    return this.#items.length;
  }
}

export class MockPeer {
  readonly url: URL;
  readonly #socket: ServerSocket;
  readonly #inbox = new Inbox<Data>();
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(socket: ServerSocket) {
    this.#socket = socket;
    this.url = new URL(socket.url);
    socket.on('message', (data) => {
      this.#inbox.put(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (event) => {
        resolve({ code: event.code ?? 0, reason: event.reason ?? '' });
      });
    });
  }

  /** The query parameter `name` of the URL the listener dialled. */
  param(name: string): string | null {
    return this.url.searchParams.get(name);
  }

  /** The next message the listener sent. */
  next(): Promise<Data> {
    return this.#inbox.take();
  }

  /** The next message, which must be a text frame holding JSON. */
  async nextJson(): Promise<Record<string, unknown>> {
    const m = await this.next();
    if (typeof m !== 'string')
      throw new Error(`expected a text frame, got ${m.length} binary bytes`);
    return JSON.parse(m) as Record<string, unknown>;
  }

  /** The next message, which must be binary. */
  async nextBinary(): Promise<Buffer> {
    const m = await this.next();
    if (typeof m === 'string')
      throw new Error(`expected a binary frame, got text ${m.slice(0, 80)}`);
    return m;
  }

  get pending(): number {
    return this.#inbox.size;
  }

  sendJson(v: unknown): void {
    this.#socket.send(JSON.stringify(v));
  }

  sendText(text: string): void {
    this.#socket.send(text);
  }

  sendBinary(bytes: Uint8Array): void {
    const copy = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(copy).set(bytes);
    this.#socket.send(copy);
  }

  close(code = 1000, reason = ''): void {
    this.#socket.close({ code, reason });
  }
}

export class MockHcService {
  readonly server: Server;
  readonly #peers = new Inbox<MockPeer>();
  readonly all: MockPeer[] = [];

  constructor(url: string) {
    this.server = new Server(url, { mock: false });
    this.server.on('connection', (socket) => {
      const peer = new MockPeer(socket);
      this.all.push(peer);
      this.#peers.put(peer);
    });
  }

  /** The next WebSocket the listener opens here. */
  nextPeer(): Promise<MockPeer> {
    return this.#peers.take();
  }

  stop(): void {
    this.server.stop();
  }
}
