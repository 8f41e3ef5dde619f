// The same scenario inside Electron. Electron's runtime cannot be downloaded on offline build machines;
// there this spec reports itself skipped with that reason instead of pretending to pass.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

const root = resolve(import.meta.dirname, '..');
function electronBinary(): string | null {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

test('Electron: the critical potassium reaches the feed and opens', async ({ browser }) => {
  const binary = electronBinary();
  if (binary === null) console.warn('skipped: Electron runtime not installed');
  test.skip(binary === null, 'skipped: Electron runtime not installed');
  const app = await electron.launch({
    executablePath: binary ?? undefined,
    args: [root, '--no-sandbox'],
    env: { ...process.env, ALERT_MONITOR_DATA_DIR: mkdtempSync(join(tmpdir(), 'electron-e2e-')) },
  });
  try {
    const page = await app.firstWindow();
    // What the page can reach is the proof: no Node, no ipcRenderer, only the MonitorApi object.
    const reach = await page.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      api: Object.keys((globalThis as { monitorApi?: object }).monitorApi ?? {}).sort(),
      origin: (globalThis as unknown as { location: { origin: string } }).location.origin,
    }));
    expect(reach.require).toBe('undefined');
    expect(reach.process).toBe('undefined');
    expect(reach.api).toContain('onEvent');
    expect(reach.api).not.toContain('invoke');
    expect(reach.origin).toBe('app://monitor');
    // The shell opens the SMART authorization page in the system browser: capture it instead, and
    // complete it in Chromium, as a user would in their browser.
    await app.evaluate(({ shell }) => {
      const opened: string[] = [];
      (globalThis as { __opened?: string[] }).__opened = opened;
      shell.openExternal = async (url: string) => {
        opened.push(url);
      };
    });
    await page.getByRole('button', { name: 'Sign in to the local demo' }).click();
    await expect
      .poll(() => app.evaluate(() => (globalThis as { __opened?: string[] }).__opened?.length ?? 0))
      .toBe(1);
    const authorizationUrl = await app.evaluate(
      () => (globalThis as { __opened?: string[] }).__opened?.[0] ?? '',
    );
    const signIn = await browser.newPage();
    await signIn.goto(authorizationUrl);
    await signIn.getByLabel(/charge nurse, Ward A/).check();
    await signIn.getByRole('button', { name: 'Approve and sign in' }).click();
    await expect(signIn.getByText(/return to/i)).toBeVisible();
    await signIn.close();
    const row = page.getByRole('button', { name: /Critical.*Potassium 6\.8 mmol\/L/ });
    await expect(row).toBeVisible({ timeout: 30_000 });
    await row.click();
    await expect(page.getByText('6.8 mmol/L', { exact: true }).first()).toBeVisible();
  } finally {
    await app.close();
  }
});
