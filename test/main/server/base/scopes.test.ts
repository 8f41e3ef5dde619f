import { describe, expect, it } from 'vitest';
import { normalizeScopes, parseScope, scopesAllow } from '../../../../src-main/server/base/scopes.ts';

describe('SMART scope grammar', () => {
  it('parses v2 scopes', () => {
    expect(parseScope('user/Observation.rs')).toEqual({
      kind: 'clinical',
      scope: { context: 'user', resourceType: 'Observation', permissions: 'rs', query: null },
      v2: 'user/Observation.rs',
    });
    expect(parseScope('patient/*.cruds')).toMatchObject({ kind: 'clinical', v2: 'patient/*.cruds' });
    expect(parseScope('system/Subscription.cud')).toMatchObject({ kind: 'clinical' });
    const withQuery =
      'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
    expect(parseScope(withQuery)).toMatchObject({
      kind: 'clinical',
      v2: withQuery,
      scope: { query: 'category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory' },
    });
  });

  it('maps v1 suffixes to v2', () => {
    expect(normalizeScopes(['user/Patient.read', 'user/Observation.write', 'patient/*.*', 'openid'])).toEqual(
      ['user/Patient.rs', 'user/Observation.cud', 'patient/*.cruds', 'openid'],
    );
  });

  it('rejects malformed resource scopes', () => {
    for (const bad of [
      'user/Observation.sr',
      'user/Observation.dus',
      'user/Observation.',
      'user/Observation.x',
      'user/observation.rs',
      'user/Observation',
      'user/Observation.rs?',
      'user/Observation.rs?novalue',
      'admin/Observation.rs' as string,
      'system/.rs',
    ]) {
      const parsed = parseScope(bad);
      if (bad.startsWith('admin/')) expect(parsed.kind).toBe('unknown');
      else expect(parsed.kind, bad).toBe('invalid');
    }
  });

  it('classifies identity, refresh and launch scopes', () => {
    expect(parseScope('openid').kind).toBe('identity');
    expect(parseScope('fhirUser').kind).toBe('identity');
    expect(parseScope('offline_access').kind).toBe('refresh');
    expect(parseScope('launch/patient').kind).toBe('launch');
    expect(parseScope('something-else').kind).toBe('unknown');
  });

  it('scopesAllow checks context, type (or *) and permission letter', () => {
    const scopes = ['user/Observation.rs', 'user/Subscription.cruds', 'system/*.r'];
    expect(scopesAllow(scopes, 'user', 'Observation', 'r')).toBe(true);
    expect(scopesAllow(scopes, 'user', 'Observation', 'c')).toBe(false);
    expect(scopesAllow(scopes, 'user', 'Patient', 'r')).toBe(false);
    expect(scopesAllow(scopes, 'system', 'Patient', 'r')).toBe(true);
    expect(scopesAllow(scopes, 'system', 'Patient', 's')).toBe(false);
    expect(scopesAllow(['user/Patient.read'], 'user', 'Patient', 's')).toBe(true);
  });
});
