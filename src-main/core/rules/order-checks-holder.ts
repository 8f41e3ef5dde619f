// Holds the active order checks (file-holder.ts, as for the critical-value rules).
import type { OrderChecksStatus } from '../../shared/api.ts';
import { createFileHolder, fixedHolder, type FileHolder, type FileKind } from './file-holder.ts';
import { parseOrderChecks, type OrderChecks } from './order-checks-file.ts';

export type OrderChecksHolder = FileHolder<OrderChecks, OrderChecksStatus>;

const ORDER_CHECKS: FileKind<OrderChecks, Pick<OrderChecksStatus, 'checkCount' | 'notice'>> = {
  parse: parseOrderChecks,
  describe: (checks) => ({
    checkCount:
      checks.allergyClasses.length +
      checks.duplicateTherapy.length +
      checks.interactions.length +
      checks.labs.length +
      checks.renal.length,
    notice: checks.notice,
  }),
  name: 'checks',
};

export function createOrderChecksHolder(path: string, now?: () => Date): OrderChecksHolder {
  return createFileHolder(path, ORDER_CHECKS, now);
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
  return fixedHolder(checks, ORDER_CHECKS.describe);
}
