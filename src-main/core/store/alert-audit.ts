// The audit rule every alert-row change follows (alert-store.ts and its parts): a change and its audit
// row are written in one transaction, and a change that touched no row (a repeat, a race, a replay) is
// not audited and reports `false`.
import type { Db } from '../../lib/sqlite.ts';

/** Write one audit row (`at`: epoch ms). */
export type AuditFn = (
  alertId: string | null,
  action: string,
  actor: string | null,
  detail: string | null,
  at: number,
) => void;

/** Run `change`; when it changed a row, write its audit entry in the same transaction. */
export type AuditedChange = (
  change: () => number,
  id: string,
  action: string,
  actor: string | null,
  detail: string | null,
  at: number,
) => boolean;

export function auditedChanges(db: Db, audit: AuditFn): AuditedChange {
  return (change, id, action, actor, detail, at) =>
    db.transaction((): boolean => {
      if (change() === 0) return false;
      audit(id, action, actor, detail, at);
      return true;
    })();
}

export const iso = (ms: number): string => new Date(ms).toISOString();
