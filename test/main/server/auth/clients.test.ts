import { describe, expect, it } from 'vitest';
import { redirectUriMatches } from '../../../../src-main/server/auth/clients.ts';

describe('redirectUriMatches (exact, except loopback port per RFC 8252)', () => {
  it('allows any port for loopback IP literals', () => {
    expect(redirectUriMatches('http://127.0.0.1/callback', 'http://127.0.0.1:5555/callback')).toBe(true);
    expect(redirectUriMatches('http://127.0.0.1/callback', 'http://127.0.0.1/callback')).toBe(true);
    expect(redirectUriMatches('http://[::1]/callback', 'http://[::1]:5555/callback')).toBe(true);
  });

  it('is exact otherwise', () => {
    expect(redirectUriMatches('http://127.0.0.1/callback', 'http://127.0.0.1:5555/callback/')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1/callback', 'http://127.0.0.1:5555/Callback')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1/callback', 'http://127.0.0.1:5555/callback?a=1')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1/callback', 'http://127.0.0.1:5555/callback#x')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1/callback', 'http://u@127.0.0.1:5555/callback')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1/callback', 'http://localhost:5555/callback')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1/callback', 'http://[::1]:5555/callback')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1/callback', 'https://127.0.0.1:5555/callback')).toBe(false);
    expect(redirectUriMatches('https://app.example/cb', 'https://app.example:444/cb')).toBe(false);
    expect(redirectUriMatches('https://app.example/cb', 'https://app.example/cb')).toBe(true);
    expect(redirectUriMatches('http://127.0.0.1/callback', 'not a url')).toBe(false);
  });
});
