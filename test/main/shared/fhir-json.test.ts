import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as reader from '../../../src-main/shared/fhir-json.ts';
import {
  arr,
  at,
  bool,
  bundleResources,
  choice,
  codingDisplay,
  codings,
  conceptText,
  field,
  firstCode,
  hasCoding,
  humanName,
  isRecord,
  isResource,
  list,
  namedParameters,
  num,
  outcomeMessage,
  parseJson,
  quantity,
  quantityText,
  record,
  records,
  referenceDisplay,
  referenceOf,
  referenceTo,
  securityLabels,
  str,
  strings,
  readableUnit,
  readableUnits,
} from '../../../src-main/shared/fhir-json.ts';

const LAB_SYSTEM = 'http://loinc.org';

describe('the shared FHIR JSON reader: shapes', () => {
  it('tells objects from arrays, null and scalars', () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord({ a: 1 })).toBe(true);
    for (const value of [null, undefined, [], [{}], 'x', 1, true]) expect(isRecord(value)).toBe(false);
  });

  it('accepts a resource only with a non-empty string resourceType, optionally of one type', () => {
    expect(isResource({ resourceType: 'Patient' })).toBe(true);
    expect(isResource({ resourceType: 'Patient' }, 'Patient')).toBe(true);
    expect(isResource({ resourceType: 'Patient' }, 'Observation')).toBe(false);
    expect(isResource({ resourceType: '' })).toBe(false);
    expect(isResource({ resourceType: 3 })).toBe(false);
    expect(isResource({ id: 'p1' })).toBe(false);
    expect(isResource([{ resourceType: 'Patient' }])).toBe(false);
    expect(isResource('Patient')).toBe(false);
  });

  it('reads own fields only, and walks nested objects without indexing arrays', () => {
    const obs = { valueQuantity: { value: 6.8, unit: 'mmol/L' }, code: [{ text: 'K' }] };
    expect(field(obs, 'valueQuantity')).toEqual({ value: 6.8, unit: 'mmol/L' });
    expect(field(obs, 'missing')).toBeUndefined();
    expect(field('text', 'length')).toBeUndefined();
    expect(field([1, 2], '0')).toBeUndefined();
    // Inherited members are not data: a JSON object without `toString` has no `toString` field.
    expect(field({}, 'toString')).toBeUndefined();
    expect(field({}, 'constructor')).toBeUndefined();
    expect(field(JSON.parse('{"__proto__": "own"}'), '__proto__')).toBe('own');
    expect(at(obs, 'valueQuantity', 'unit')).toBe('mmol/L');
    expect(at(obs, 'code', 'text')).toBeUndefined();
    expect(at(obs)).toBe(obs);
    expect(at(null, 'a', 'b')).toBeUndefined();
  });

  it('checks scalars (non-empty strings, finite numbers, booleans) and single objects', () => {
    expect(str('K')).toBe('K');
    expect(str('')).toBeNull();
    expect(str(5)).toBeNull();
    expect(str(null)).toBeNull();
    expect(num(6.8)).toBe(6.8);
    expect(num(0)).toBe(0);
    expect(num(Number.NaN)).toBeNull();
    expect(num(Number.POSITIVE_INFINITY)).toBeNull();
    expect(num('6.8')).toBeNull();
    expect(bool(false)).toBe(false);
    expect(bool('true')).toBeNull();
    expect(record({ start: '2026' })).toEqual({ start: '2026' });
    expect(record(['2026'])).toBeNull();
    expect(record('2026')).toBeNull();
  });

  it('reads lists strictly (arr) or leniently (list), and filters their members', () => {
    expect(arr([1, 'a'])).toEqual([1, 'a']);
    expect(arr({ a: 1 })).toEqual([]);
    expect(arr(undefined)).toEqual([]);
    expect(list([1])).toEqual([1]);
    expect(list({ a: 1 })).toEqual([{ a: 1 }]);
    expect(list('x')).toEqual(['x']);
    expect(list(null)).toEqual([]);
    expect(list(undefined)).toEqual([]);
    expect(records([{ a: 1 }, null, [], 'x', { b: 2 }])).toEqual([{ a: 1 }, { b: 2 }]);
    expect(records({ a: 1 })).toEqual([]);
    expect(strings(['a', '', 3, null, 'b'])).toEqual(['a', 'b']);
    expect(strings('a')).toEqual([]);
  });

  it('reads choice elements: the first key present, even when mistyped', () => {
    const param = { name: 'n', valueInteger: 7, valueString: '8' };
    expect(choice(param, ['valueString', 'valueInteger'])).toBe('8');
    expect(choice(param, ['valueUnsignedInt', 'valueInteger'])).toBe(7);
    expect(choice(param, ['valueDecimal'])).toBeUndefined();
    expect(choice({ valueString: null, valueInteger: 1 }, ['valueString', 'valueInteger'])).toBeNull();
    expect(choice('x', ['length'])).toBeUndefined();
  });

  it('finds Parameters members by name', () => {
    const parameter = [
      { name: 'token', valueString: 't' },
      'junk',
      { name: 'subscription', valueString: 'a' },
      { name: 'subscription', valueString: 'b' },
    ];
    expect(namedParameters(parameter, 'subscription').map((p) => p['valueString'])).toEqual(['a', 'b']);
    expect(namedParameters(parameter, 'missing')).toEqual([]);
    expect(namedParameters({ name: 'token' }, 'token')).toEqual([]);
  });
});

describe('the shared FHIR JSON reader: FHIR datatypes', () => {
  it('reads references and resource identity', () => {
    expect(referenceTo({ resourceType: 'Patient', id: 'p1' })).toBe('Patient/p1');
    expect(referenceTo({ resourceType: 'Patient' })).toBeNull();
    expect(referenceTo({ id: 'p1' })).toBeNull();
    expect(referenceOf({ reference: 'Patient/p1', display: 'Ann' })).toBe('Patient/p1');
    expect(referenceOf({ display: 'Ann' })).toBeNull();
    expect(referenceOf('Patient/p1')).toBeNull();
    expect(referenceDisplay({ reference: 'Patient/p1', display: 'Ann' })).toBe('Ann');
    expect(referenceDisplay({ reference: 'Patient/p1' })).toBe('Patient/p1');
    expect(referenceDisplay({})).toBeNull();
  });

  it('names a person from the first usable HumanName, trimmed and bounded', () => {
    expect(humanName([{ given: ['Ann', 'B'], family: 'Lee' }])).toBe('Ann B Lee');
    expect(humanName([{ text: '  Ann Lee ' }])).toBe('Ann Lee');
    expect(humanName([{}, 'junk', { family: 'Lee' }])).toBe('Lee');
    expect(humanName({ given: ['Ann'] })).toBe('Ann');
    expect(humanName([{ given: [1, ''], family: '' }])).toBeNull();
    expect(humanName([{ text: 'x'.repeat(300) }])?.length).toBe(120);
    expect(humanName([{ text: 'Ann Lee' }], 3)).toBe('Ann');
    expect(humanName(undefined)).toBeNull();
  });

  it('reads codings and concepts', () => {
    const code = {
      text: 'Potassium',
      coding: [
        { system: LAB_SYSTEM, code: '2823-3', display: 'Potassium [Moles/volume]' },
        'junk',
        { code: 'K' },
      ],
    };
    expect(codings(code)).toEqual([
      { system: LAB_SYSTEM, code: '2823-3', display: 'Potassium [Moles/volume]' },
      { system: null, code: 'K', display: null },
    ]);
    expect(codings({ coding: { code: 'K' } })).toEqual([]);
    expect(firstCode(code)).toBe('2823-3');
    expect(firstCode({ coding: [] })).toBeNull();
    expect(hasCoding(code, LAB_SYSTEM, '2823-3')).toBe(true);
    expect(hasCoding(code, null, 'K')).toBe(true);
    expect(hasCoding(code, LAB_SYSTEM, 'K')).toBe(false);
    expect(codingDisplay({ code: 'HH', display: 'Critical high' })).toBe('Critical high');
    expect(codingDisplay({ code: 'HH' })).toBe('HH');
    expect(codingDisplay(null)).toBeNull();
    expect(conceptText(code)).toBe('Potassium');
    expect(conceptText({ coding: [{}, { code: 'HH' }] })).toBe('HH');
    expect(conceptText({ coding: [{}] })).toBeNull();
    expect(conceptText('Potassium')).toBeNull();
  });

  it('reads quantities only with a numeric value', () => {
    expect(
      quantity({ value: 6.8, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' }),
    ).toEqual({ value: 6.8, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' });
    expect(quantity({ value: '6.8', unit: 'mmol/L' })).toBeNull();
    expect(quantityText({ value: 6.8, unit: 'mmol/L' })).toBe('6.8 mmol/L');
    expect(quantityText({ value: 6.8, code: 'mmol/L' })).toBe('6.8 mmol/L');
    expect(quantityText({ value: 2 })).toBe('2');
    expect(quantityText({ unit: 'mmol/L' })).toBeNull();
  });

  it('reads security labels, bundle resources and OperationOutcome messages', () => {
    const resource = {
      resourceType: 'Observation',
      meta: { security: [{ system: 'http://x/ward', code: 'ward-a' }, 'junk'] },
    };
    expect(securityLabels(resource)).toEqual([{ system: 'http://x/ward', code: 'ward-a', display: null }]);
    expect(securityLabels({ meta: { security: 'ward-a' } })).toEqual([]);

    const bundle = {
      resourceType: 'Bundle',
      entry: [
        { resource: { resourceType: 'Patient', id: 'p1' } },
        { resource: { resourceType: 'Observation', id: 'o1' } },
        { resource: { id: 'no-type' } },
        { fullUrl: 'urn:uuid:1' },
        'junk',
      ],
    };
    expect(bundleResources(bundle).map((r) => r.id)).toEqual(['p1', 'o1']);
    expect(bundleResources(bundle, 'Observation').map((r) => r.id)).toEqual(['o1']);
    expect(bundleResources({ entry: {} })).toEqual([]);

    expect(
      outcomeMessage({ issue: [{ severity: 'error' }, { diagnostics: 'Token failed to validate' }] }),
    ).toBe('Token failed to validate');
    expect(outcomeMessage({ issue: [{ details: { text: 'Not found' } }] })).toBe('Not found');
    expect(outcomeMessage({ issue: [{ diagnostics: 'x'.repeat(500) }] })?.length).toBe(200);
    expect(outcomeMessage({ issue: 'broken' })).toBeNull();
  });

  it('parses JSON text without throwing', () => {
    expect(parseJson('{"resourceType":"Patient"}')).toEqual({ resourceType: 'Patient' });
    expect(parseJson('null')).toBeNull();
    expect(parseJson('{')).toBeUndefined();
    expect(parseJson('')).toBeUndefined();
  });
});

/** Every accessor, called with `value` in each argument position that takes untrusted input. */
function readEverything(value: unknown, key: string): unknown[] {
  return [
    isRecord(value),
    isResource(value),
    isResource(value, key),
    field(value, key),
    at(value, key, key),
    choice(value, [key, 'valueString']),
    str(value),
    num(value),
    bool(value),
    record(value),
    arr(value),
    list(value),
    records(value),
    strings(value),
    namedParameters(value, key),
    referenceTo(value),
    referenceOf(value),
    referenceDisplay(value),
    humanName(value),
    codings(value),
    firstCode(value),
    hasCoding(value, null, key),
    hasCoding(value, key, key),
    codingDisplay(value),
    conceptText(value),
    quantity(value),
    quantityText(value),
    securityLabels(value),
    bundleResources(value),
    bundleResources(value, key),
    outcomeMessage(value),
    readableUnits(value),
    readableUnit(value),
  ];
}

describe('the shared FHIR JSON reader: properties', () => {
  it('covers every exported accessor in the property below', () => {
    const exported = Object.entries(reader)
      .filter(([, v]) => typeof v === 'function')
      .map(([name]) => name)
      .sort();
    const probed = readEverything.toString();
    // parseJson takes text, not a value; it has its own property.
    const unprobed = exported.filter(
      (name) => name !== 'parseJson' && !new RegExp(`\\b${name}\\b`).test(probed),
    );
    expect(unprobed).toEqual([]);
  });

  it('never throws on any JSON value, and returns the promised shapes', () => {
    // Keys the accessors read, plus prototype names that must not leak inherited members.
    const keys = fc.constantFrom(
      'resourceType',
      'coding',
      'reference',
      'value',
      'entry',
      'resource',
      'name',
      '__proto__',
      'constructor',
      'toString',
    );
    // A FHIR-flavoured JSON value: objects whose keys are the ones accessors look at, so that the
    // interesting paths (codings, entries, names) are actually reached, not just rejected at the top.
    const { fhirish } = fc.letrec((tie) => ({
      fhirish: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.jsonValue(),
        fc.array(tie('fhirish'), { maxLength: 4 }),
        fc.dictionary(keys, tie('fhirish'), { maxKeys: 5 }),
      ),
    }));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fhirish), keys, (value, key) => {
        readEverything(value, key);
        const s = str(value);
        expect(s === null || (typeof s === 'string' && s.length > 0)).toBe(true);
        const n = num(value);
        expect(n === null || Number.isFinite(n)).toBe(true);
        expect(Array.isArray(arr(value))).toBe(true);
        expect(Array.isArray(list(value))).toBe(true);
        expect(records(value).every(isRecord)).toBe(true);
        expect(strings(value).every((v) => typeof v === 'string' && v.length > 0)).toBe(true);
        expect(bundleResources(value).every((r) => isResource(r))).toBe(true);
        const name = humanName(value);
        expect(name === null || (name.length > 0 && name.length <= 120)).toBe(true);
        expect(typeof field(value, 'toString')).not.toBe('function');
        expect(typeof field(value, 'constructor')).not.toBe('function');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on values JSON cannot even express', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true }),
        (value) => {
          readEverything(value, 'value');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('parseJson never throws and round-trips what JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        parseJson(text);
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(parseJson(JSON.stringify(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
