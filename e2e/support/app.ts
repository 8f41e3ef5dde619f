// Page helpers shared by the renderer specs: demo sign-in, CSP violation capture, screenshots, and
// direct API reads from inside the page (same origin, the page's own cookie).
import { copyFileSync, mkdirSync } from 'node:fs';
import { expect, type Locator, type Page } from '@playwright/test';
import type { AlertSummary, HostEvent } from '../../src-main/shared/api.ts';

export type DemoIdentity = 'charge nurse, Ward A' | 'charge nurse, Ward B' | 'pharmacist' | 'Riley Chen';

/**
 * Leave the page on the sign-in form, signing out if the host still has a session. The page renders
 * nothing until it knows whether someone is signed in, so this first waits for one of the two views:
 * asking `isVisible()` straight after navigation would read "not signed in" from a blank page.
 */
export async function signOutIfSignedIn(page: Page, server = 'the local demo'): Promise<Locator> {
  const signOut = page.getByRole('button', { name: 'Sign out' });
  const signInButton = page.getByRole('button', { name: `Sign in to ${server}` });
  await expect(signOut.or(signInButton).first()).toBeVisible({ timeout: 30_000 });
  if (await signOut.isVisible()) {
    await signOut.click();
    // Signing out stops the monitor, which on a busy demo waits for the enrichments in flight.
    await expect(signInButton).toBeVisible({ timeout: 20_000 });
  }
  return signInButton;
}

/** Sign in through the server's real demo sign-in page (a popup beside the app). */
export async function signIn(
  page: Page,
  launchUrl: string,
  identity: DemoIdentity = 'charge nurse, Ward A',
  options: { beforeSignIn?: () => Promise<void>; server?: string } = {},
): Promise<void> {
  await page.goto(launchUrl);
  await expect(page.getByRole('heading', { name: 'Alert Monitor' })).toBeVisible();
  await options.beforeSignIn?.();
  // The host keeps its session across page loads: sign out first so the identity is the one asked for.
  // No role is chosen in the app: it comes from the identity picked on the server's sign-in page.
  const signInButton = await signOutIfSignedIn(page, options.server ?? 'the local demo');
  const popup = page.waitForEvent('popup');
  await signInButton.click();
  const signInPage = await popup;
  await signInPage.getByLabel(new RegExp(identity)).check();
  await signInPage.getByRole('button', { name: 'Approve and sign in' }).click();
  await expect(signInPage.getByText(/return to/i)).toBeVisible();
  await signInPage.close();
  await expect(page.getByRole('status').filter({ hasText: 'Signed in as' })).toBeVisible({ timeout: 30_000 });
}

/**
 * Record what the host pushes to the page over its event stream (/api/events), as the page receives it,
 * and whether that stream is open. Call before the first navigation. A test asserts with it that an
 * alert reached the page by push, the mechanism that makes delivery prompt, instead of timing it.
 */
export async function watchHostEvents(
  page: Page,
): Promise<{ waitOpen(): Promise<void>; events(): Promise<HostEvent[]> }> {
  await page.addInitScript(() => {
    const record = { open: false, events: [] as string[] };
    (window as unknown as { __hostStream: typeof record }).__hostStream = record;
    const Original = window.EventSource;
    class Recording extends Original {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        if (!String(url).includes('/api/events')) return;
        super.addEventListener('open', () => (record.open = true));
        super.addEventListener('host-event', (event) =>
          record.events.push((event as MessageEvent<string>).data),
        );
      }
    }
    window.EventSource = Recording;
  });
  const read = () =>
    page.evaluate(
      () => (window as unknown as { __hostStream?: { open: boolean; events: string[] } }).__hostStream,
    );
  return {
    waitOpen: async () => {
      await expect.poll(async () => (await read())?.open ?? false, { timeout: 30_000 }).toBe(true);
    },
    events: async () => ((await read())?.events ?? []).map((data) => JSON.parse(data) as HostEvent),
  };
}

/** Collect CSP violations the page reports (securitypolicyviolation events and console errors). */
export async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.exposeFunction('__reportCsp', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCsp(t: string): void }).__reportCsp(
        `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });
  return violations;
}

/**
 * Save a screenshot as a test artifact. With UPDATE_SCREENSHOTS=1 it also refreshes the README copy in
 * docs/screenshots (a test run never rewrites tracked files on its own).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync('e2e/artifacts', { recursive: true });
  const path = `e2e/artifacts/${name}.png`;
  await page.screenshot({ path });
  if (process.env['UPDATE_SCREENSHOTS'] === '1') {
    mkdirSync('docs/screenshots', { recursive: true });
    copyFileSync(path, `docs/screenshots/${name}.png`);
  }
}

/** The alert list as the host has it, read from inside the page. */
export async function listAlerts(page: Page): Promise<AlertSummary[]> {
  return page.evaluate(async () => {
    const response = await fetch('/api/call/listAlerts', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ limit: 1000 }),
    });
    return ((await response.json()) as { result: AlertSummary[] }).result;
  });
}

/** One API call from inside the page (same origin, the page's own cookie); throws on an HTTP error. */
export async function callApi<T>(page: Page, method: string, args: object = {}): Promise<T> {
  const { status, body, text } = await apiAnswer(page, method, args);
  if (status < 200 || status > 299) throw new Error(`${method}: ${status} ${text}`);
  return (body as { result: T }).result;
}

/**
 * One API call from inside the page, answered as it came: the status, the body as JSON (undefined when
 * it is not JSON) and as text. A refusal is a 403.
 */
export async function apiAnswer(
  page: Page,
  method: string,
  args: object = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const answer = await page.evaluate(
    async ({ method, args }) => {
      const response = await fetch(`/api/call/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
      });
      return { status: response.status, text: await response.text() };
    },
    { method, args },
  );
  let body: unknown;
  try {
    body = JSON.parse(answer.text) as unknown;
  } catch {
    body = undefined;
  }
  return { ...answer, body };
}

/** Wait until the host holds alerts that satisfy `check` (the simulator produces them over time). */
export async function alertsWhere(
  page: Page,
  check: (alerts: AlertSummary[]) => boolean,
  what: string,
  timeoutMs = 90_000,
): Promise<AlertSummary[]> {
  let last: AlertSummary[] = [];
  await expect
    .poll(
      async () => {
        last = await listAlerts(page);
        return check(last);
      },
      { timeout: timeoutMs, message: `waiting for ${what}` },
    )
    .toBe(true);
  return last;
}

export const isOpenCritical = (a: AlertSummary): boolean =>
  a.tier === 'critical' && (a.state === 'new' || a.state === 'seen' || a.state === 'escalated');

/** Open the feed's "Filters" disclosure (ward, patient, tier, type) if it is closed. */
export async function openFilters(page: Page): Promise<void> {
  const details = page.locator('details.more-filters');
  await expect(page.getByLabel('Tier').or(details).first()).toBeAttached();
  if ((await details.count()) === 0) return; // all filters shown at once
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
}

/**
 * `text` inside `container` is painted whole: its layout box ends inside the container's, leaving room
 * for the ellipsis that overflowing text ends with (text beyond the box is clipped, not painted).
 */
export async function shownInFull(container: Locator, text: string): Promise<boolean> {
  return container.evaluate((el, wanted) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent?.indexOf(wanted) ?? -1;
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + wanted.length);
      const box = el.getBoundingClientRect();
      const overflowing = el.scrollWidth > el.clientWidth + 1;
      const ellipsis = overflowing ? parseFloat(getComputedStyle(el).fontSize) : 0;
      const shown = range.getBoundingClientRect();
      return shown.left >= box.left && shown.right <= box.right - ellipsis;
    }
    return false;
  }, text);
}

/**
 * How far the window itself scrolls (≤ 0: not at all). The app's columns scroll within the window, so
 * the header, the counts and Sign out never leave the screen.
 */
export async function windowOverflow(page: Page): Promise<number> {
  return page.evaluate(() => (document.scrollingElement?.scrollHeight ?? 0) - window.innerHeight);
}
