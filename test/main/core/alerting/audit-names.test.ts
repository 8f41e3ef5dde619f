// The audit export names the practitioners this workstation never learnt a name for by reading them
// from the server with the exporting user's token (src-main/core/alerting/audit-names.ts). Real
// embedded server on loopback; the whole export path is in across-workstations.test.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_NAME_READS,
  unnamedPractitioners,
  withServerNames,
} from '../../../../src-main/core/alerting/audit-names.ts';
import { accessFor } from '../../../../src-main/core/fhir/fhir-client.ts';
import type { AuditRow } from '../../../../src-main/core/store/alert-rows.ts';
import { startServer } from '../../../../src-main/server/server.ts';
import { freePort } from '../../../support/free-port.ts';
import { issuedSession } from '../../../support/issued-session.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let nextId = 1;
const row = (actor: string | null, alertId: string | null = 'a'): AuditRow => ({
  id: nextId++,
  at: '2026-12-03T10:00:00.000Z',
  alert_id: alertId,
  action: 'state:acknowledged',
  actor,
  detail: null,
  focus: 'Observation/o',
  tier: 'critical',
});

describe('unnamedPractitioners', () => {
  it('asks once for each practitioner without a known name, never for a patient, a device or a URL', () => {
    const rows = [
      row('Practitioner/nurse-a2'),
      row('Practitioner/nurse-a2'),
      row('Practitioner/nurse-a'),
      row('Patient/p-1'),
      row('Device/ward-a-ws1'),
      row('https://elsewhere.example/fhir/Practitioner/x'),
      row(null),
    ];
    const known = new Map([['Practitioner/nurse-a', 'Alex Rivera']]);
    expect(unnamedPractitioners(rows, known, () => true)).toEqual(['Practitioner/nurse-a2']);
  });

  it('asks only about people on rows of the signed-in user’s server (Practitioner/x elsewhere is someone else)', () => {
    const rows = [
      row('Practitioner/x', 'elsewhere'),
      row('Practitioner/y', 'here'),
      row('Practitioner/z', null),
    ];
    expect(unnamedPractitioners(rows, new Map(), (alertId) => alertId === 'here')).toEqual([
      'Practitioner/y',
    ]);
  });

  it('asks for at most a bounded number of people per export', () => {
    const rows = Array.from({ length: MAX_NAME_READS + 10 }, (_, i) => row(`Practitioner/p-${i}`));
    expect(unnamedPractitioners(rows, new Map(), () => true)).toHaveLength(MAX_NAME_READS);
  });
});

describe('withServerNames', () => {
  it('adds the names the server gives and leaves a person it cannot read unnamed', async () => {
    const server = await startServer({
      port: await freePort(),
      dbPath: join(mkdtempSync(join(tmpdir(), 'audit-names-')), 'server.sqlite'),
      simulate: { autoStart: false },
    });
    cleanups.push(() => server.close());
    const rows = [
      row('Practitioner/nurse-a2'),
      row('Practitioner/no-such-person'),
      row('Practitioner/nurse-a'),
    ];
    const known = new Map([['Practitioner/nurse-a', 'Alex Rivera, RN (charge nurse, Ward A)']]);
    const names = await withServerNames(rows, known, accessFor(issuedSession(server)), () => true);
    expect(Object.fromEntries(names)).toEqual({
      'Practitioner/nurse-a': 'Alex Rivera, RN (charge nurse, Ward A)',
      'Practitioner/nurse-a2': 'Riley Chen, RN (Ward A)',
    });
    // The map it was given is left as it was.
    expect(known.size).toBe(1);
  });

  it('reads nothing without a signed-in user', async () => {
    const names = await withServerNames([row('Practitioner/nurse-a2')], new Map(), null, () => true);
    expect(names.size).toBe(0);
  });
});
