// Holds the active order checks, like rules-holder.ts holds the critical values: the path is a
// parameter (the composition root resolves it), a reload that fails keeps the previous checks and says
// why, and the status is shown in Settings.
import { readFileSync } from 'node:fs';
import { watchSettled } from './watch-settled.ts';
import type { OrderChecksStatus } from '../../shared/api.ts';
import { parseOrderChecks, type OrderChecks } from './order-checks-file.ts';

export interface OrderChecksHolder {
  current(): OrderChecks;
  /** Re-read the file; on error the previous checks stay active and the error is in the status. */
  reload(): OrderChecksStatus;
  status(): OrderChecksStatus;
  /** Reload when the file changes on disk; returns the stop function. */
  watch(onChange: (status: OrderChecksStatus) => void): () => void;
}

const countOf = (checks: OrderChecks): number =>
  checks.allergyClasses.length +
  checks.duplicateTherapy.length +
  checks.interactions.length +
  checks.labs.length +
  checks.renal.length;

export function loadOrderChecks(path: string): OrderChecks {
  return parseOrderChecks(readFileSync(path, 'utf8'), path);
}

export function createOrderChecksHolder(path: string, now: () => Date = () => new Date()): OrderChecksHolder {
  let checks = loadOrderChecks(path);
  let loadedAt = now().toISOString();
  let lastError: string | null = null;
  const status = (): OrderChecksStatus => ({
    path,
    loadedAt,
    checkCount: countOf(checks),
    notice: checks.notice,
    lastError,
  });
  const reload = (): OrderChecksStatus => {
    try {
      checks = loadOrderChecks(path);
      loadedAt = now().toISOString();
      lastError = null;
    } catch (error) {
      lastError = `${error instanceof Error ? error.message : String(error)} (previous checks stay active)`;
    }
    return status();
  };
  return {
    current: () => checks,
    reload,
    status,
    watch: (onChange) => watchSettled(path, () => onChange(reload())),
  };
}

/** No checks at all, said so in the notice: what a service built without the file uses (tests). */
export function emptyOrderChecks(): OrderChecksHolder {
  const checks = parseOrderChecks(
    JSON.stringify({
      notice: 'No order-checks file loaded: no drug checks are run.',
      version: 1,
      kidneyFunction: { egfrLoinc: ['98979-8'], creatinineLoinc: ['2160-0'], unit: 'mL/min/{1.73_m2}' },
      weightLoinc: ['29463-7'],
      drugClasses: [{ id: 'none', name: 'None', keywords: ['(no drug matches this)'] }],
      allergyClasses: [],
      duplicateTherapy: [],
      interactions: [],
      labs: [],
      renal: [],
    }),
    'built-in empty checks',
  );
  const status = (): OrderChecksStatus => ({
    path: null,
    loadedAt: null,
    checkCount: 0,
    notice: checks.notice,
    lastError: null,
  });
  return { current: () => checks, reload: status, status, watch: () => () => undefined };
}
