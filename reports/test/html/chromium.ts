// The headless browser both page tests drive: Debian's chromium through playwright-core, with a
// fresh profile in a temporary folder. In: the tap test and a folder prefix. Out: the folder the
// report is written into, an open page on a context that records console errors, page errors and
// every request, and teardown that closes the browser and removes the folder (the report is kept
// when RELAYCHECK_KEEP_HTML_CHECK=1); or the reason the tests are skipped without chromium.
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
/** A test's `skip` option: false with chromium there, else the reason. */
export const CHROMIUM_SKIP: string | false = existsSync(CHROMIUM)
  ? false
  : "needs Debian's chromium (apt-get install chromium): .ci/run installs it";
/** Bounds on the browser's start and on each page step (a hang fails, it never passes). */
const LAUNCH_MS = 15_000;
export const STEP_MS = 5_000;

export interface Browser {
  /** Keep the report folder after the test (RELAYCHECK_KEEP_HTML_CHECK=1). */
  readonly keep: boolean;
  /** Where to write the report. */
  readonly outDir: string;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly consoleErrors: string[];
  readonly pageErrors: string[];
  readonly requests: string[];
}

export async function openBrowser(t: tap.Test, prefix: string): Promise<Browser> {
  const keep = process.env.RELAYCHECK_KEEP_HTML_CHECK === '1';
  const root = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const profile = join(root, 'chromium-profile');
  const opened: { context?: BrowserContext } = {};
  t.teardown(async () => {
    await opened.context?.close();
    if (keep) rmSync(profile, { recursive: true, force: true });
    else rmSync(root, { recursive: true, force: true });
  });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: LAUNCH_MS,
    viewport: { width: 1280, height: 2200 },
  });
  opened.context = context;
  context.setDefaultTimeout(STEP_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  const browser: Browser = {
    keep,
    outDir: join(root, 'report'),
    context,
    page,
    consoleErrors: [],
    pageErrors: [],
    requests: [],
  };
  // on the context: every page of it, one without script too
  context.on('console', (m) => {
    if (m.type() === 'error') browser.consoleErrors.push(m.text());
  });
  context.on('weberror', (e) => browser.pageErrors.push(e.error().message));
  context.on('request', (r) => browser.requests.push(r.url()));
  return browser;
}
