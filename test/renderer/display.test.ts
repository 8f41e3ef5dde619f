// One time format (24-hour, the date where not today) and units as people write them.
import { describe, expect, it } from 'vitest';
import { readableUnit, readableUnits } from '../../src-main/shared/fhir-json.ts';
import { durationText, timeText } from '../../src-renderer/format/time.ts';
import { wardName } from '../../src-renderer/format/ward.ts';

describe('time format', () => {
  it('is 24-hour clock time today and adds the date otherwise', () => {
    const now = new Date(2026, 5, 14, 16, 30).getTime();
    expect(timeText(new Date(2026, 5, 14, 13, 42, 16).toISOString(), now)).toBe('13:42');
    expect(timeText(new Date(2026, 5, 14, 0, 5).toISOString(), now)).toBe('00:05');
    expect(timeText(new Date(2026, 5, 13, 23, 59).toISOString(), now)).toBe('13 Jun 23:59');
    expect(timeText(new Date(2025, 11, 31, 8, 0).toISOString(), now)).toBe('31 Dec 2025 08:00');
    expect(timeText('not a time', now)).toBe('not a time');
    expect(timeText(null, now)).toBe('unknown');
    expect(durationText(45_000)).toBe('45 s');
    expect(durationText(12 * 60_000 + 5_000)).toBe('12 min');
    expect(durationText(125 * 60_000)).toBe('2 h 5 min');
  });
});

describe('units', () => {
  it('prints UCUM codes as a reader expects them', () => {
    expect(readableUnit('{INR}')).toBe('INR');
    expect(readableUnit('10*9/L')).toBe('×10⁹/L');
    expect(readableUnit('10*3/uL')).toBe('×10³/µL');
    expect(readableUnit('umol/L')).toBe('µmol/L');
    expect(readableUnit('mm[Hg]')).toBe('mmHg');
    expect(readableUnit('mL/min/{1.73_m2}')).toBe('mL/min/1.73 m²');
    expect(readableUnit('mmol/L')).toBe('mmol/L');
    expect(readableUnit('1')).toBe('');
    expect(readableUnits('INR 5.6 {INR}')).toBe('INR 5.6 INR');
    expect(readableUnits('Leukocytes 55 10*3/uL > 50')).toBe('Leukocytes 55 ×10³/µL > 50');
  });
});

describe('the trend chart’s scales', () => {
  it('rounds the value axis to readable ticks and places results by their time', async () => {
    const { trendScale } = await import('../../src-renderer/fhir/trend-scale.ts');
    const point = (at: string, value: number) => ({
      reference: `Observation/${value}`,
      at,
      value,
      unit: '{INR}',
      interpretation: null,
    });
    const points = [
      point('2026-06-14T08:00:00Z', 1.1),
      point('2026-06-14T09:00:00Z', 5.6),
      point('2026-06-14T12:00:00Z', 2.3),
    ];
    const frame = { width: 400, height: 200, left: 50, right: 10, top: 10, bottom: 40 };
    const scale = trendScale(points, frame);
    expect(scale.yTicks).toEqual([0, 2, 4, 6]);
    expect(scale.y(0)).toBe(160);
    expect(scale.y(6)).toBe(10);
    // Three hours after the first result is the right end; one hour is a quarter of the way (between
    // points kept 16 px inside the axes: 66 to 374).
    expect(scale.x(scale.at(points[2] as (typeof points)[number], 2))).toBe(374);
    expect(scale.x(scale.at(points[1] as (typeof points)[number], 1))).toBe(143);
    expect(scale.xTicks).toHaveLength(3);
  });

  it('keeps the first and last results clear of the axes, so a value label never covers the unit', async () => {
    const { POINT_INSET, trendScale } = await import('../../src-renderer/fhir/trend-scale.ts');
    const points = [
      {
        reference: 'Observation/1',
        at: '2026-06-14T08:00:00Z',
        value: 9.9,
        unit: '10*3/uL',
        interpretation: null,
      },
      {
        reference: 'Observation/2',
        at: '2026-06-14T09:00:00Z',
        value: 0.9,
        unit: '10*3/uL',
        interpretation: null,
      },
    ];
    const frame = { width: 480, height: 210, left: 56, right: 20, top: 22, bottom: 44 };
    const scale = trendScale(points, frame);
    // The highest value, first, sits just below the unit title at the top of the y axis: its label
    // (centred on the point, about 24 px wide) must start right of the axis, where the title ends.
    const first = scale.x(scale.at(points[0] as (typeof points)[number], 0));
    const last = scale.x(scale.at(points[1] as (typeof points)[number], 1));
    expect(POINT_INSET).toBeGreaterThanOrEqual(14);
    expect(first).toBe(frame.left + POINT_INSET);
    expect(last).toBe(frame.width - frame.right - POINT_INSET);
    // A single time (or a single point) is centred.
    const one = trendScale([points[0] as (typeof points)[number]], frame);
    expect(one.x(one.at(points[0] as (typeof points)[number], 0))).toBe((56 + 460) / 2);
  });
});

describe('ward names', () => {
  it('says a ward label as people say the ward', () => {
    expect(wardName('ward-a')).toBe('Ward A');
    expect(wardName('Ward_B')).toBe('Ward B');
    expect(wardName('4west')).toBe('Ward 4WEST');
    expect(wardName(null)).toBe('no ward');
    expect(wardName('  ')).toBe('no ward');
  });
});
