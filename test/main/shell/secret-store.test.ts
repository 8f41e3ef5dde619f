// The safeStorage-backed secret store against the named safeStorage test double (no Electron runtime).
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeElectronModule, fakeSafeStorage } from './fake-electron.ts';

vi.mock('electron', () => fakeElectronModule);
const { createSafeSecretStore } = await import('../../../src-main/shell/secret-store.ts');

beforeEach(() => {
  fakeSafeStorage.available = true;
  fakeSafeStorage.backend = 'gnome_libsecret';
});

describe('safeStorage secret store', () => {
  it('stores only ciphertext on disk and round-trips it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');
    const { store, persistent } = await createSafeSecretStore(path);
    expect(persistent).toBe(true);
    await store.set('rt:server', 'rt_refresh-token-value');
    expect(readFileSync(path, 'utf8')).not.toContain('rt_refresh-token-value');
    expect(await store.get('rt:server')).toBe('rt_refresh-token-value');
    await store.delete('rt:server');
    expect(await store.get('rt:server')).toBeNull();
  });

  it('writes the vault 0600 whatever the umask (ciphertext, but still readable by nobody else)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');
    const previous = process.umask(0o000);
    try {
      const { store } = await createSafeSecretStore(path);
      await store.set('rt:server', 'rt_refresh-token-value');
    } finally {
      process.umask(previous);
    }
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
  });

  it('refuses to persist on Linux when the backend is basic_text, and says why', async () => {
    fakeSafeStorage.backend = 'basic_text';
    const path = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');
    const { store, persistent, reason } = await createSafeSecretStore(path);
    if (process.platform !== 'linux') return; // the backend check is Linux-only by design
    expect(persistent).toBe(false);
    expect(reason).toMatch(/basic_text.*hard-coded key/);
    await store.set('rt:server', 'rt_secret');
    expect(() => readFileSync(path)).toThrow(); // nothing written to disk
    expect(await store.get('rt:server')).toBe('rt_secret'); // memory only, for this run
  });

  it('refuses to persist when the OS offers no encryption at all', async () => {
    fakeSafeStorage.available = false;
    const { persistent, reason } = await createSafeSecretStore(
      join(mkdtempSync(join(tmpdir(), 's-')), 's.json'),
    );
    expect(persistent).toBe(false);
    expect(reason).toMatch(/no encryption/);
  });
});
