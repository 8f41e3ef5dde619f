// Where the SMART authorization page may be: the FHIR server's own host, or an origin the deployment
// configuration allows for that server. Anything else a discovery answer names is refused before the
// user is sent there (both hosts).
import { describe, expect, it } from 'vitest';
import { authorizationUrlRefusal } from '../../../src-main/app/sign-in.ts';

describe('the authorization page check', () => {
  const server = {
    fhirBase: 'https://fhir.example.org/r4',
    authorizationOrigins: ['https://login.example.org'],
  };
  it('allows the FHIR host, a configured origin, and the loopback demo server', () => {
    expect(authorizationUrlRefusal('https://fhir.example.org/auth/authorize?x', server)).toBeNull();
    expect(authorizationUrlRefusal('https://login.example.org/oauth2/authorize', server)).toBeNull();
    expect(
      authorizationUrlRefusal('http://127.0.0.1:8080/auth/authorize', {
        fhirBase: 'http://127.0.0.1:8080/fhir',
      }),
    ).toBeNull();
  });
  it('refuses any other page, in words naming the setting', () => {
    expect(authorizationUrlRefusal('https://evil.example/authorize', server)).toBe(
      'the authorization page is on https://evil.example, which is not allowed for https://fhir.example.org (authorizationOrigins in the configuration)',
    );
    expect(authorizationUrlRefusal('http://fhir.example.org/authorize', server)).toMatch(/not allowed/);
    expect(authorizationUrlRefusal('https://u:p@fhir.example.org/authorize', server)).toMatch(/credentials/);
  });
});
