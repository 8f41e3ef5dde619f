// The pharmacist's walk-through (docs/pharmacy.md) in Chromium at 1024×700, on the local demo with its
// flaggable orders: verify an order with an allergy flag (the flag shown, the override reason recorded),
// reject one, ask the prescriber about one; the server's Task, DetectedIssue and Communication read back
// over HTTP from a second pharmacist workstation (a second browser host signed in to the same server),
// whose worklist no longer has the decided orders. Nothing (a toast) covers the review. Then the
// prescriber's answer: the held order back in the worklist with it, read in the review, and decided.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import type { OrderReview, ResourceView, WorklistView } from '../src-main/shared/api.ts';
import { alertsWhere, callApi, screenshot, signIn } from './support/app.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';

let demo: DemoProcess;
let second: DemoProcess;

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);

test.beforeAll(async () => {
  // The walk-through checks an order held for the prescriber: here the simulated attending never
  // answers (the last test has one that does).
  demo = await startDemo({ extraArgs: ['--prescriber-delay', 'never'] });
  // A second workstation: its own browser host, signed in to the first one's embedded server.
  const config = join(mkdtempSync(join(tmpdir(), 'pharmacy-e2e-')), 'second.json');
  writeFileSync(
    config,
    JSON.stringify({
      servers: [{ name: 'Demo server', fhirBase: demo.fhirBase, clientId: 'alert-monitor-desktop' }],
    }),
  );
  second = await startDemo({ extraArgs: ['--config', config], embeddedServer: false });
});
test.afterAll(async () => {
  await second?.stop();
  await demo?.stop();
});

/** The worklist row of the Ward A order whose drug name contains `word`. */
async function openOrder(page: Page, word: string): Promise<string> {
  const list = await callApi<WorklistView>(page, 'listWorklist', {});
  const item = [...list.items, ...list.awaitingClarification].find(
    (i) => i.ward === 'ward-a' && i.medication.toLowerCase().includes(word),
  );
  if (!item) throw new Error(`no ${word} order in the worklist`);
  await page
    .locator('.queue-item')
    .filter({ hasText: item.medication })
    .filter({ hasText: item.patient?.name ?? '' })
    .first()
    .locator('.queue-open')
    .click();
  await expect(
    page.getByRole('region', { name: 'Order review' }).getByRole('heading', { level: 2 }),
  ).toHaveText(item.medication);
  return item.order;
}

const review = (page: Page) => page.getByRole('region', { name: 'Order review' });

/** The pharmacist signed in at 1024×700, her worklist open and listing orders: its list of orders. */
async function worklistAs(page: Page, launchUrl: string): Promise<Locator> {
  await page.setViewportSize({ width: 1024, height: 700 });
  await signIn(page, launchUrl, 'pharmacist');
  await page.getByRole('button', { name: 'Worklist' }).click();
  const orders = page.getByRole('list', { name: 'Orders', exact: true });
  await expect(orders.getByRole('listitem').first()).toBeVisible({ timeout: 60_000 });
  return orders;
}

/** Type `text` in the review's reason box, press `button`, and wait for the decision line to say `outcome`. */
async function decideWithReason(
  page: Page,
  button: 'Reject' | 'Request clarification',
  text: string,
  outcome: string,
): Promise<void> {
  await review(page)
    .getByLabel(/Reason \(rejection\)/)
    .fill(text);
  await review(page).getByRole('button', { name: button }).click();
  await expect(review(page).locator('.decision')).toContainText(outcome, { timeout: 20_000 });
}

/** No toast covers the review: both measured in one frame (a toast arriving moves the layout). */
async function nothingCovers(page: Page): Promise<void> {
  const overlaps = await page.evaluate(() => {
    const review = document.querySelector('.order-review')?.getBoundingClientRect();
    if (!review) return ['no review'];
    return [...document.querySelectorAll('.toast')]
      .map((toast) => toast.getBoundingClientRect())
      .filter(
        (t) =>
          !(
            t.right <= review.left ||
            review.right <= t.left ||
            t.bottom <= review.top ||
            review.bottom <= t.top
          ),
      )
      .map((t) => `${t.left},${t.top} ${t.width}x${t.height}`);
  });
  expect(overlaps).toEqual([]);
}

test('pharmacist: verify with an allergy override, reject, ask for clarification; a second workstation drops them', async ({
  page,
  browser,
}) => {
  test.setTimeout(180_000);
  const orders = await worklistAs(page, demo.launchUrl);
  // The role came from the identity: the pharmacist's view is offered, the nurse's ward board is not.
  await expect(page.getByRole('button', { name: 'Ward board' })).toHaveCount(0);
  await expect(orders.getByRole('listitem').first().locator('.priority')).toHaveText('STAT');
  // Full drug names, never cut.
  await expect(orders).toContainText('piperacillin 4000 MG / tazobactam 500 MG Injection');
  // Every order names its patient with the MRN (the demo ward has two Omar Garcias).
  for (const row of await orders.getByRole('listitem').allInnerTexts())
    expect(row).toMatch(/ · MRN PT-\d{4}\b/);
  await screenshot(page, 'pharmacy-worklist');
  // Working down the list by keyboard: j opens the next order's review, k the previous; ? lists these keys.
  // New orders keep arriving and may land between the read and the key, so a step is right when it
  // selected the neighbour of the order selected before, in the list as it was or as it is now.
  const orderRows = 'ol[aria-label="Orders"] .queue-open';
  const onScreen = () =>
    page.evaluate(
      (rows) =>
        [...document.querySelectorAll(rows)].map((row) => ({
          order: row.getAttribute('data-order') ?? '',
          medication: row.querySelector('.queue-med')?.textContent ?? '',
          selected: row.getAttribute('aria-current') === 'true',
        })),
      orderRows,
    );
  type Row = Awaited<ReturnType<typeof onScreen>>[number];
  const neighbour = (rows: Row[], from: string | undefined, key: 'j' | 'k') => {
    const at = rows.findIndex((row) => row.order === from);
    return rows[at < 0 ? 0 : at + (key === 'j' ? 1 : -1)]?.order;
  };
  const press = async (key: 'j' | 'k') => {
    const before = await onScreen();
    const from = before.find((row) => row.selected)?.order;
    await page.keyboard.press(key);
    await expect(async () => {
      const now = await onScreen();
      const selected = now.find((row) => row.selected);
      expect(selected?.order).not.toBe(from);
      expect([neighbour(before, from, key), neighbour(now, from, key)]).toContain(selected?.order);
      await expect(page.locator('.review-med')).toHaveText(selected?.medication ?? '?', { timeout: 1000 });
      await expect(page.locator(`.queue-open[data-order="${selected?.order ?? '?'}"]`)).toBeFocused({
        timeout: 1000,
      });
    }).toPass({ timeout: 10_000 });
  };
  await page.locator('body').focus();
  await press('j');
  await press('j');
  await press('k');
  // Two presses in one task, before the page renders either, move twice (they moved once when a move
  // read the order open at the last render).
  const twice = await page.evaluate((rows) => {
    const shown = [...document.querySelectorAll(rows)];
    const from = shown.findIndex((row) => row.getAttribute('aria-current') === 'true');
    for (let i = 0; i < 2; i += 1) document.dispatchEvent(new KeyboardEvent('keydown', { key: 'j' }));
    return shown[from + 2]?.getAttribute('data-order') ?? null;
  }, orderRows);
  expect(twice).not.toBeNull();
  await expect(page.locator(`.queue-open[data-order="${twice ?? '?'}"]`)).toBeFocused();
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toContainText('next order');
  await page.keyboard.press('Escape');

  // 1. Verify the stat penicillin for the patient with penicillin anaphylaxis, overriding the flag.
  const verified = await openOrder(page, 'piperacillin');
  const flag = review(page).locator('.flag').filter({ hasText: 'Allergy: Penicillin' }).first();
  await expect(flag).toBeVisible();
  await expect(review(page)).toContainText('Anaphylaxis');
  // The banner and the decision both name the patient with the MRN.
  const patient = (await callApi<OrderReview>(page, 'getOrderReview', { order: verified })).patient;
  await expect(review(page).getByLabel('Patient')).toContainText(`MRN ${patient?.mrn ?? '?'}`);
  await expect(review(page).locator('.decide-for')).toContainText(
    `For ${patient?.name ?? '?'} · MRN ${patient?.mrn ?? '?'}: piperacillin`,
  );
  await expect(review(page)).toContainText(/eGFR \d+ mL\/min\/1\.73 m²/);
  // Units as people read them (no UCUM braces such as {INR} or {1.73_m2}), as on the nurse's screen.
  expect(await review(page).innerText()).not.toMatch(/[{}]/);
  await nothingCovers(page);
  await screenshot(page, 'pharmacy-review');
  const before = await callApi<OrderReview>(page, 'getOrderReview', { order: verified });
  await review(page).getByRole('button', { name: 'Verify' }).click();
  await expect(review(page).locator('.decide-answer')).toContainText('override reason');
  for (const input of await review(page).getByLabel('Override reason').all()) {
    await input.fill('Documented reaction was to amoxicillin rash in 1998; ID approves');
  }
  // Text left in the rejection/question box is not sent with a verification (it read as a note on it).
  await review(page)
    .getByLabel(/Reason \(rejection\)/)
    .fill('Hold until prescriber answers');
  await review(page).getByRole('button', { name: 'Verify' }).click();
  // Who decided, by name, never by reference.
  await expect(review(page).locator('.decision')).toContainText('Verified by Jordan Lee, PharmD', {
    timeout: 20_000,
  });
  await expect(review(page).locator('.decision')).not.toContainText('Practitioner/');
  // One account of where the decision stands: the refusal above is gone, and no stale "sending" line
  // contradicts "recorded on the server".
  await expect(review(page).locator('.decide-answer')).toHaveCount(0);
  await expect(review(page).locator('.decision')).toContainText('recorded on the server', {
    timeout: 30_000,
  });

  // 2. Reject the enoxaparin 40 mg at eGFR 22 (a creatinine clearance below 30 mL/min).
  const rejected = await openOrder(page, 'enoxaparin');
  await expect(review(page).locator('.flag').filter({ hasText: 'Renal dose' })).toContainText(
    /CrCl \d+ mL\/min by Cockcroft–Gault/,
  );
  // The clearance the label doses by is in the banner beside the laboratory's eGFR and creatinine.
  await expect(review(page).getByLabel('Patient')).toContainText(/CrCl \(Cockcroft–Gault\) \d+ mL\/min/);
  await decideWithReason(page, 'Reject', 'eGFR 22: prophylaxis is 30 mg once daily', 'Rejected');
  // What was decided says why.
  await expect(review(page).locator('.decision')).toContainText('eGFR 22: prophylaxis is 30 mg once daily');

  // 3. Ask the prescriber about ibuprofen on top of warfarin.
  const clarified = await openOrder(page, 'ibuprofen');
  await decideWithReason(
    page,
    'Request clarification',
    'On warfarin: acetaminophen instead?',
    'Clarification requested',
  );
  await expect(review(page).locator('.decision')).toContainText('On warfarin: acetaminophen instead?');
  // A second question while the first is out is a follow-up: sent, and the decision line names both.
  await decideWithReason(
    page,
    'Request clarification',
    'Also: pain score?',
    'On warfarin: acetaminophen instead? — then: Also: pain score?',
  );
  await expect(review(page).getByLabel(/Reason \(rejection\)/)).toHaveValue('');
  await expect(
    orders.locator('.queue-item').filter({ hasText: 'ibuprofen' }).filter({ hasText: 'Awaiting' }),
  ).toHaveCount(0);

  // A second pharmacist workstation, signed in to the same server in another browser.
  const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  const other = await context.newPage();
  await signIn(other, second.launchUrl, 'pharmacist', { server: 'Demo server' });
  await other.getByRole('button', { name: 'Worklist' }).click();
  const otherOrders = other.getByRole('list', { name: 'Orders', exact: true });
  await expect(otherOrders.getByRole('listitem').first()).toBeVisible({ timeout: 60_000 });
  const listed = await callApi<WorklistView>(other, 'listWorklist', {});
  const open = listed.items.map((i) => i.order);
  expect(open).not.toContain(verified);
  expect(open).not.toContain(rejected);
  expect(open).not.toContain(clarified);
  expect(listed.awaitingClarification.map((i) => i.order)).toContain(clarified);
  // The decisions it did not make name their pharmacist, from the server's Task.
  const seenThere = await callApi<OrderReview>(other, 'getOrderReview', { order: verified });
  expect(seenThere.decision).toMatchObject({ decision: 'verify', by: 'Practitioner/pharmacist' });

  // The server's records, read over HTTP by the second workstation with its pharmacist's token.
  const read = (reference: string) => callApi<ResourceView>(other, 'getResource', { reference });
  const task = await read(`Task/verify-${digest(verified)}`);
  expect(task.resource?.['status']).toBe('completed');
  expect(task.resource?.['owner']).toEqual({ reference: 'Practitioner/pharmacist' });
  expect(JSON.stringify(task.resource?.['note'] ?? [])).not.toContain('Hold until prescriber answers');
  const allergyFlag = before.flags.find((f) => f.kind === 'allergy');
  expect(allergyFlag).toBeDefined();
  const issue = await read(`DetectedIssue/issue-${digest(`${verified}|${allergyFlag?.id ?? ''}`)}`);
  expect(JSON.stringify(issue.resource?.['mitigation'])).toContain(
    'Verified with override: Documented reaction was to amoxicillin rash in 1998',
  );
  expect((await read(`Task/verify-${digest(rejected)}`)).resource?.['status']).toBe('rejected');
  expect((await read(`Task/verify-${digest(clarified)}`)).resource?.['status']).toBe('on-hold');
  const message = await read(`Communication/clarify-${digest(clarified)}`);
  expect(message.resource?.['recipient']).toEqual([{ reference: 'Practitioner/physician-a' }]);
  expect(JSON.stringify(message.resource?.['payload'])).toContain('acetaminophen instead?');
  // The follow-up is its own message to the same prescriber.
  const followUp = await read(`Communication/clarify-${digest(`${clarified}#2`)}`);
  expect(followUp.resource?.['recipient']).toEqual([{ reference: 'Practitioner/physician-a' }]);
  expect(JSON.stringify(followUp.resource?.['payload'])).toContain('Also: pain score?');
  await context.close();
});

test('pharmacist: the stat interruption opens its order for verification in one step', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1024, height: 700 });
  await signIn(page, demo.launchUrl, 'pharmacist');
  const [stat] = (
    await alertsWhere(
      page,
      (l) => l.some((a) => a.focus.startsWith('MedicationRequest/')),
      'the demo stat order to interrupt',
    )
  ).filter((a) => a.focus.startsWith('MedicationRequest/'));
  // Opened from the feed (where an OS notification's click lands too), the alert leads to the review
  // and the decision of that same order, not to the top of the worklist.
  await page.locator(`.feed-row[data-alert-id="${stat?.id}"]`).click();
  const detail = page.getByRole('region', { name: /furosemide/i });
  await detail.getByRole('button', { name: 'Review and verify this order' }).click();
  await expect(page.getByRole('button', { name: 'Worklist' })).toHaveAttribute('aria-current', 'page');
  await expect(review(page).getByRole('heading', { level: 2 })).toHaveText(/furosemide/i);
  const patient = (await callApi<OrderReview>(page, 'getOrderReview', { order: stat?.focus })).patient;
  await expect(review(page).locator('.decide-for')).toContainText(
    `For ${patient?.name ?? '?'} · MRN ${patient?.mrn ?? '?'}: furosemide`,
  );
  // Verified there, the alert says so where it interrupted her (and still leads to the review).
  // (Any flag on it gets its override reason first: the flags render with the review.)
  for (const input of await review(page).getByLabel('Override reason').all())
    await input.fill('Potassium is normal today; prescriber confirmed');
  await review(page).getByRole('button', { name: 'Verify' }).click();
  await expect(review(page).locator('.decision')).toContainText('recorded on the server', {
    timeout: 30_000,
  });
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Alerts' }).click();
  await expect(detail.locator('.review-order')).toContainText(
    /Verified by Jordan Lee, PharmD.* — recorded on the server/,
  );
  await expect(detail.getByRole('button', { name: 'Open the order’s review' })).toBeVisible();
  // Deciding the order closed the alert that asked for it: resolved by her, never said to be
  // acknowledged (nobody acknowledged it), and nothing left to do on it.
  await expect(detail.locator('.resolved')).toContainText(/Resolved by .+ at /);
  await expect(detail.locator('.acknowledged')).toHaveCount(0);
  await expect(detail.getByRole('button', { name: /^Acknowledge|^Resolve$/ })).toHaveCount(0);
  await expect(page.locator(`.feed-row[data-alert-id="${stat?.id}"]`)).toContainText('Resolved');
});

test("pharmacist: the prescriber's answer brings the held order back; she reads it and decides", async ({
  page,
}) => {
  test.setTimeout(150_000);
  // The ward's attending answers one simulated minute after the question (a second at the demo's 60×).
  const answering = await startDemo({ extraArgs: ['--prescriber-delay', '1'] });
  try {
    const orders = await worklistAs(page, answering.launchUrl);
    const held = await openOrder(page, 'ibuprofen');
    await decideWithReason(
      page,
      'Request clarification',
      'On warfarin: acetaminophen instead?',
      'Clarification requested',
    );
    // Back in the list with the answer: the answer topic's push makes the worklist search again.
    const row = orders.locator(`.queue-open[data-order="${held}"]`);
    await expect(row.locator('.queue-answer')).toContainText('Ward A attending physician answered at', {
      timeout: 60_000,
    });
    await expect(page.getByRole('list', { name: 'Orders awaiting clarification' })).toHaveCount(0);
    // The tab says so in every view: she may be reading alerts when the answer comes.
    const tab = page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: /^Worklist/ });
    await expect(tab).toHaveText('Worklist · 1 answered');
    // The review, open all along, shows the whole answer under the question it answers.
    const read = await callApi<OrderReview>(page, 'getOrderReview', { order: held });
    const answer = read.answers[0];
    expect(answer?.by).toBe('Ward A attending physician');
    const shown = review(page).getByRole('region', { name: 'Prescriber’s answer' });
    await expect(shown).toContainText(answer?.text ?? '?', { timeout: 20_000 });
    await expect(review(page).locator('.decision')).toContainText('On warfarin: acetaminophen instead?');
    await row.scrollIntoViewIfNeeded();
    await screenshot(page, 'pharmacy-answer');
    // She decides on it: rejected with the answer as her reason, and the order leaves the worklist.
    await decideWithReason(
      page,
      'Reject',
      'Changed to acetaminophen after the prescriber’s answer',
      'Rejected',
    );
    await expect(row).toHaveCount(0, { timeout: 20_000 });
    await expect(tab).toHaveText('Worklist', { timeout: 20_000 });
  } finally {
    await answering.stop();
  }
});
