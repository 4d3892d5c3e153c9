/**
 * Headless Chromium for end-to-end tests of pages built with Vite: Debian's `chromium` driven by
 * `playwright-core` (never a downloaded browser). A test calls {@link launchChromium}, skips with
 * the reason it returns when no browser exists, builds and serves its page with {@link servePage},
 * and closes both.
 */
import { existsSync } from 'node:fs';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { build, preview } from 'vite';

/** Where Debian's `chromium` package puts the browser; `CHROMIUM_PATH` overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags every test launch uses: headless, no sandbox (root in CI), no GPU, no network chatter. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Launches headless Chromium, or returns why it cannot (printed once, for the skip). */
export async function launchChromium(): Promise<Browser | string> {
  const skip = (why: string) => {
    process.stderr.write(`[browser tests skipped] ${why}\n`);
    return why;
  };
  if (!existsSync(CHROMIUM_PATH)) return skip(`no browser at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  try {
    const { chromium } = await import('playwright-core');
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
  } catch (e) {
    return skip(`chromium did not start: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** A served page: its address and how to stop the server. */
export interface ServedPage {
  url: string;
  close: () => Promise<void>;
}

/** Builds the Vite project whose config is `configFile` and serves the result on a free local port. */
export async function servePage(configFile: string): Promise<ServedPage> {
  await build({ configFile, logLevel: 'warn' });
  const server = await preview({ configFile, logLevel: 'warn', preview: { port: 0, host: '127.0.0.1', strictPort: false } });
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) throw new Error(`servePage: the preview server for ${configFile} has no address`);
  return { url, close: () => new Promise<void>((resolve) => server.httpServer.close(() => resolve())) };
}

/** Opens `url` in a new page, collecting the page's console errors and uncaught exceptions into `errors`. */
export async function openPage(browser: Browser, url: string, errors: string[] = []): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 900, height: 560 } });
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e: Error) => errors.push(e.message));
  await page.goto(url);
  return page;
}
