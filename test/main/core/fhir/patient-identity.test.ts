// What tells two patients of the same name apart, read checked from untrusted Patient JSON: the MRN is
// the identifier typed MR (or one whose system names an MRN), never any other identifier.
import { describe, expect, it } from 'vitest';
import { identityOf, mrnOf } from '../../../../src-main/core/fhir/patient-identity.ts';

describe('patient identity', () => {
  it('takes the MR-typed identifier, else one whose system names an MRN', () => {
    const typed = {
      identifier: [
        { system: 'urn:oid:2.16.840.1.113883.4.1', value: '123-45-6789' },
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
          value: 'H-77',
        },
      ],
    };
    expect(mrnOf(typed)).toBe('H-77');
    expect(
      mrnOf({ identifier: [{ system: 'http://alert-monitor.local/fhir/sid/mrn', value: 'PT-0001' }] }),
    ).toBe('PT-0001');
  });

  it('never shows another identifier (a national id) as the MRN, and survives odd shapes', () => {
    expect(
      mrnOf({ identifier: [{ system: 'urn:oid:2.16.840.1.113883.4.1', value: '123-45-6789' }] }),
    ).toBeNull();
    expect(mrnOf({ identifier: 'PT-1' })).toBeNull();
    expect(mrnOf({ identifier: [null, 7, { system: 'x/mrn', value: 42 }] })).toBeNull();
    expect(mrnOf(null)).toBeNull();
  });

  it('reads name, MRN and a well-formed birth date', () => {
    expect(
      identityOf({
        resourceType: 'Patient',
        name: [{ given: ['Omar'], family: 'Garcia' }],
        identifier: [{ system: 'http://alert-monitor.local/fhir/sid/mrn', value: 'PT-0026' }],
        birthDate: '1951-07-04',
      }),
    ).toEqual({ name: 'Omar Garcia', mrn: 'PT-0026', birthDate: '1951-07-04' });
    expect(identityOf({ resourceType: 'Patient', birthDate: '4 July 1951' }).birthDate).toBeNull();
    // A Patient that could not be read names nobody (an order's patient on a worklist).
    expect(identityOf(null)).toEqual({ name: null, mrn: null, birthDate: null });
  });
});
