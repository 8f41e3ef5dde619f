// The audit log as CSV (RFC 4180) for compliance review: one row per transition, who and when. Cells
// that a spreadsheet would run as a formula (= + - @ tab CR) are prefixed with an apostrophe
// (OWASP CSV injection). Patient names are not in the audit log; the focus reference identifies the result.
import type { AuditRow } from '../store/alert-rows.ts';

export const AUDIT_COLUMNS = ['id', 'at', 'alert_id', 'focus', 'tier', 'action', 'actor', 'detail'] as const;

export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function auditCsv(rows: readonly AuditRow[]): string {
  const lines = [AUDIT_COLUMNS.join(',')];
  for (const row of rows) lines.push(AUDIT_COLUMNS.map((column) => csvCell(row[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
