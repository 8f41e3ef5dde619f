// The audit export's CSV: one row per audit entry, each actor with the name known for it, cells a
// spreadsheet would run as formulas neutralised, and the time to acknowledge on acknowledgment rows.
import { describe, expect, it } from 'vitest';
import {
  AUDIT_COLUMNS,
  auditCsv,
  csvCell,
  TIME_TO_ACK_COLUMN,
} from '../../../../src-main/core/alerting/audit-csv.ts';
import type { AuditRow } from '../../../../src-main/core/store/alert-rows.ts';

const ACK: AuditRow = {
  id: 7,
  at: '2026-12-03T02:10:30.000Z',
  alert_id: 'alert-1',
  action: 'state:acknowledged',
  actor: 'Practitioner/nurse-a',
  detail: null,
  focus: 'Observation/k-1',
  tier: 'critical',
};
const EXPORT: AuditRow = {
  id: 8,
  at: '2026-12-03T02:11:00.000Z',
  alert_id: null,
  action: 'audit-export',
  actor: 'client/ward-a-workstation',
  detail: '1 rows',
  focus: null,
  tier: null,
};

function parse(csv: string): string[] {
  return csv.split('\r\n').filter((line) => line !== '');
}

describe('auditCsv', () => {
  it('puts the known name beside each actor, and leaves it empty for an actor without one', () => {
    const lines = parse(
      auditCsv(
        [ACK, EXPORT],
        () => '2026-12-03T02:00:00.000Z',
        new Map([['Practitioner/nurse-a', 'Alex Rivera, RN']]),
      ),
    );
    expect(lines[0]).toBe([...AUDIT_COLUMNS, TIME_TO_ACK_COLUMN].join(','));
    expect(lines[1]).toBe(
      '7,2026-12-03T02:10:30.000Z,alert-1,Observation/k-1,critical,state:acknowledged,Practitioner/nurse-a,"Alex Rivera, RN",,630',
    );
    expect(lines[2]).toBe('8,2026-12-03T02:11:00.000Z,,,,audit-export,client/ward-a-workstation,,1 rows,');
  });

  it('neutralises a name a spreadsheet would run as a formula', () => {
    const [, line] = parse(
      auditCsv([ACK], () => null, new Map([['Practitioner/nurse-a', '=HYPERLINK("x")']])),
    );
    expect(line).toContain(`,${csvCell('=HYPERLINK("x")')},`);
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
  });
});
