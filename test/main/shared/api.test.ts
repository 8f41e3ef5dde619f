import { describe, expect, it } from 'vitest';
import { ApiValidationError, parseApiArgs } from '../../../src-main/shared/api.ts';

describe('the shared API schemas', () => {
  it('accept sign-in arguments an integration engineer may set', () => {
    const parsed = parseApiArgs('signIn', {
      fhirBase: 'https://fhir.example.org/r4',
      clientId: 'alert-monitor',
      redirectPort: 8765,
      scopes: [
        'openid',
        'fhirUser',
        'user/Observation.rs',
        'patient/Observation.rs?category=laboratory',
        'system/*.rs',
      ],
    });
    expect(parsed).toMatchObject({ redirectPort: 8765 });
    // The role is the identity's (SessionInfo.role): sign-in no longer defaults one, a hint is optional.
    expect(parsed.role).toBeUndefined();
    expect(parseApiArgs('signIn', { role: 'pharmacist' }).role).toBe('pharmacist');
  });

  it('refuse bad ports, malformed scopes and unknown fields with a message naming the field', () => {
    expect(() => parseApiArgs('signIn', { redirectPort: 80 })).toThrow(/signIn: invalid redirectPort/);
    expect(() => parseApiArgs('signIn', { scopes: ['user/Observation.rs offline_access'] })).toThrow(
      /signIn: invalid scopes\.0: a SMART scope/,
    );
    expect(() => parseApiArgs('signIn', { scopes: [] })).toThrow(ApiValidationError);
    expect(() => parseApiArgs('signIn', { fhirBase: 'file:///etc/passwd' })).toThrow(/invalid fhirBase/);
    expect(() => parseApiArgs('signIn', { accessToken: 'x' })).toThrow(ApiValidationError);
  });

  it('refuse a fhirBase with a query, a fragment or credentials (the host appends paths to it)', () => {
    for (const fhirBase of [
      'http://127.0.0.1:8080/fhir?',
      'http://127.0.0.1:8080/admin?x=/fhir',
      'http://127.0.0.1:8080/fhir#frag',
      'https://user:pw@fhir.example.org/r4',
    ])
      expect(() => parseApiArgs('signIn', { fhirBase }), fhirBase).toThrow(
        /signIn: invalid fhirBase: a plain absolute http\(s\) URL without query, fragment or credentials/,
      );
    expect(parseApiArgs('signIn', { fhirBase: 'https://fhir.example.org/r4/' }).fhirBase).toBe(
      'https://fhir.example.org/r4/',
    );
  });

  it('refuse resource references that are not relative Type/id', () => {
    expect(parseApiArgs('getResource', { reference: 'Observation/obs-1' })).toEqual({
      reference: 'Observation/obs-1',
    });
    for (const reference of [
      'http://evil.example/Observation/1',
      '../Observation/1',
      'Observation',
      'observation/1',
    ]) {
      expect(() => parseApiArgs('getResource', { reference })).toThrow(/invalid reference/);
    }
  });
});
