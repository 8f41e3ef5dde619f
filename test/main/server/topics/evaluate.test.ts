import { describe, expect, it } from 'vitest';
import type { StoredResource } from '../../../../src-main/server/base/types.ts';
import type { Interaction, ResourceChange } from '../../../../src-main/server/store/resources.ts';
import { TOPICS } from '../../../../src-main/server/topics/definitions.ts';
import { parseCriteria, triggerFires } from '../../../../src-main/server/topics/evaluate.ts';

const topic = (name: string) => {
  const found = TOPICS.find((t) => t.url.endsWith(name));
  if (!found) throw new Error(name);
  return found;
};
const fires = (
  name: string,
  interaction: Interaction,
  previous: object | null,
  current: object | null,
): boolean => {
  const type = ((current ?? previous) as { resourceType: string }).resourceType;
  const change: ResourceChange = {
    type,
    id: 'x',
    interaction,
    previous: previous as StoredResource | null,
    current: current as StoredResource | null,
    versionId: 2,
    at: new Date().toISOString(),
  };
  return topic(name).triggers.some((trigger) => triggerFires(trigger, change));
};

const enc = (status: string, bed = 'Location/ward-a-bed-01') => ({
  resourceType: 'Encounter',
  id: 'x',
  status,
  class: { code: 'IMP' },
  location: [{ location: { reference: bed }, status: 'active' }],
});
const lab = (interp: string, value = 6.8, category = 'laboratory') => ({
  resourceType: 'Observation',
  id: 'x',
  status: 'final',
  category: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category }] },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '2823-3' }] },
  valueQuantity: { value },
  interpretation: [{ coding: [{ code: interp }] }],
});

describe('topic triggers', () => {
  it('critical lab: critical laboratory results only, re-firing on change of value', () => {
    expect(fires('critical-lab-result', 'create', null, lab('HH'))).toBe(true);
    expect(fires('critical-lab-result', 'create', null, lab('LL'))).toBe(true);
    expect(fires('critical-lab-result', 'create', null, lab('AA'))).toBe(true);
    expect(fires('critical-lab-result', 'create', null, lab('H'))).toBe(false);
    expect(fires('critical-lab-result', 'create', null, lab('HH', 6.8, 'vital-signs'))).toBe(false);
    expect(fires('critical-lab-result', 'update', lab('N', 4), lab('HH'))).toBe(true);
    expect(fires('critical-lab-result', 'update', lab('HH'), lab('HH'))).toBe(false);
    expect(fires('critical-lab-result', 'update', lab('HH'), lab('HH', 7.1))).toBe(true);
  });

  it('encounter admit/discharge use previous/current with requireBoth', () => {
    expect(fires('encounter-admit', 'create', null, enc('in-progress'))).toBe(true);
    expect(fires('encounter-admit', 'update', enc('planned'), enc('in-progress'))).toBe(true);
    expect(fires('encounter-admit', 'update', enc('in-progress'), enc('in-progress'))).toBe(false);
    expect(fires('encounter-discharge', 'update', enc('in-progress'), enc('finished'))).toBe(true);
    expect(fires('encounter-discharge', 'update', enc('finished'), enc('finished'))).toBe(false);
    expect(fires('encounter-discharge', 'delete', enc('in-progress'), null)).toBe(false);
  });

  it('encounter transfer fires on an active location change only', () => {
    expect(
      fires('encounter-transfer', 'update', enc('in-progress'), enc('in-progress', 'Location/ward-a-bed-09')),
    ).toBe(true);
    expect(fires('encounter-transfer', 'update', enc('in-progress'), enc('in-progress'))).toBe(false);
    expect(fires('encounter-transfer', 'create', null, enc('in-progress'))).toBe(false);
  });

  it('medication order and final report', () => {
    const mr = { resourceType: 'MedicationRequest', status: 'active', intent: 'order', priority: 'stat' };
    expect(fires('medication-order', 'create', null, mr)).toBe(true);
    expect(fires('medication-order', 'create', null, { ...mr, status: 'draft' })).toBe(false);
    expect(fires('medication-order', 'update', mr, mr)).toBe(false);
    const dr = { resourceType: 'DiagnosticReport', status: 'final', code: {} };
    expect(fires('diagnostic-report-final', 'create', null, dr)).toBe(true);
    expect(fires('diagnostic-report-final', 'update', { ...dr, status: 'preliminary' }, dr)).toBe(true);
    expect(fires('diagnostic-report-final', 'update', dr, dr)).toBe(false);
  });

  it('parses the filter forms of the Backport IG', () => {
    expect(parseCriteria('Observation?location=Location/ward-a&code=2823-3')).toEqual([
      { resourceType: 'Observation', param: 'location', modifier: null, value: 'Location/ward-a' },
      { resourceType: 'Observation', param: 'code', modifier: null, value: '2823-3' },
    ]);
    expect(parseCriteria('patient=Patient/1')).toEqual([
      { resourceType: null, param: 'patient', modifier: null, value: 'Patient/1' },
    ]);
    expect(parseCriteria('Encounter.patient=Patient/1')[0]?.resourceType).toBe('Encounter');
    expect(parseCriteria('garbage')).toEqual([null]);
  });
});
