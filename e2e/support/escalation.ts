// What the escalation specs share: a deployment file for a workstation, and the chain on screen (the
// "Escalation" region of the open alert, one `li[data-step]` per step).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import type { AlertSummary } from '../../src-main/shared/api.ts';

/** A workstation's configuration file (`--config`), in a fresh directory. */
export function configFile(name: string, content: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'escalation-e2e-')), `${name}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

export const chain = (page: Page): Locator => page.getByRole('region', { name: 'Escalation' });
export const step = (page: Page, n: number): Locator => chain(page).locator(`li[data-step="${n}"]`);

/** Open the alert's detail from its feed row. */
export async function openAlert(page: Page, alert: AlertSummary): Promise<void> {
  await page.locator(`.feed-row[data-alert-id="${alert.id}"]`).click();
  await expect(page.locator('.detail').getByRole('heading', { level: 2 })).toBeVisible();
}
