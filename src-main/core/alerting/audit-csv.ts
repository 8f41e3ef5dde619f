// The audit log as CSV (RFC 4180) for compliance review: one row per transition, who and when. Cells
// that a spreadsheet would run as a formula (= + - @ tab CR) are prefixed with an apostrophe
// (OWASP CSV injection). Patient names are not in the audit log; the focus reference identifies the result.
// Each actor's reference comes with a name for it, for a reviewer who reads people by name
// (audit-names.ts; an actor without one, such as the ward identity, leaves the cell empty).
import type { AuditRow } from '../store/alert-rows.ts';

const ROW_COLUMNS = ['id', 'at', 'alert_id', 'focus', 'tier', 'action', 'actor'] as const;
export const AUDIT_COLUMNS = [...ROW_COLUMNS, 'actor_name', 'detail'] as const;
/**
 * The last column: on an acknowledgment row, seconds from the result (its time at the source) to the
 * acknowledgment, wherever it was made (docs/alerting.md, "Audit").
 */
export const TIME_TO_ACK_COLUMN = 'time_to_ack_s';

export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * `resultAt` gives an alert's result time (ISO) for the time-to-acknowledge column; `names` the known
 * name for an actor's reference.
 */
export function auditCsv(
  rows: readonly AuditRow[],
  resultAt: (alertId: string) => string | null = () => null,
  names: ReadonlyMap<string, string> = new Map(),
): string {
  const lines = [[...AUDIT_COLUMNS, TIME_TO_ACK_COLUMN].join(',')];
  for (const row of rows) {
    const cells = [
      ...ROW_COLUMNS.map((column) => row[column]),
      row.actor === null ? null : (names.get(row.actor) ?? null),
      row.detail,
      timeToAcknowledge(row, resultAt),
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function timeToAcknowledge(row: AuditRow, resultAt: (alertId: string) => string | null): number | null {
  if (row.action !== 'state:acknowledged' || row.alert_id === null) return null;
  const from = Date.parse(resultAt(row.alert_id) ?? '');
  const to = Date.parse(row.at);
  return Number.isNaN(from) || Number.isNaN(to) ? null : Math.max(0, Math.round((to - from) / 1000));
}
