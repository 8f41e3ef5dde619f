// Refresh tokens at rest, encrypted with Electron safeStorage (OS keychain / DPAPI / libsecret).
//
// On Linux without a secret service, safeStorage silently falls back to `basic_text`: Chromium's
// hard-coded key, i.e. obfuscation, not protection. There this store refuses to
// persist anything: the user signs in again at each start rather than leaving a usable refresh token
// on disk. The async API is used because the sync one is deprecated in Electron 45.
import { readFile } from 'node:fs/promises';
import { safeStorage } from 'electron';
import { writePrivateFile } from '../lib/private-files.ts';
import { MemorySecretStore, type SecretStore } from '../core/auth/secret-store.ts';

export type SecretStorageVerdict = { usable: true } | { usable: false; reason: string };

export async function secretStorageVerdict(platform = process.platform): Promise<SecretStorageVerdict> {
  if (!(await safeStorage.isAsyncEncryptionAvailable())) {
    return { usable: false, reason: 'the operating system offers no encryption for stored secrets' };
  }
  if (platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend();
    if (backend === 'basic_text' || backend === 'unknown') {
      return {
        usable: false,
        reason: `no secret service (safeStorage backend "${backend}" would use a hard-coded key); refresh tokens are kept in memory only`,
      };
    }
  }
  return { usable: true };
}

type Vault = Record<string, string>; // key -> base64 ciphertext

async function readVault(path: string): Promise<Vault> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Vault) : {};
  } catch {
    return {};
  }
}

/** Atomic replace, 0600 whatever the umask: a crash never leaves half a vault, nor one others can read. */
async function writeVault(path: string, vault: Vault): Promise<void> {
  writePrivateFile(path, JSON.stringify(vault));
}

/**
 * A SecretStore backed by safeStorage ciphertext in `path`, or a memory-only store with the reason when
 * encryption at rest is not trustworthy here.
 */
export async function createSafeSecretStore(
  path: string,
): Promise<{ store: SecretStore; persistent: boolean; reason: string | null }> {
  const verdict = await secretStorageVerdict();
  if (!verdict.usable) {
    return { persistent: false, reason: verdict.reason, store: new MemorySecretStore() };
  }
  return {
    persistent: true,
    reason: null,
    store: {
      async get(key) {
        const cipher = (await readVault(path))[key];
        if (!cipher) return null;
        const { result, shouldReEncrypt } = await safeStorage.decryptStringAsync(
          Buffer.from(cipher, 'base64'),
        );
        if (shouldReEncrypt) await this.set(key, result);
        return result;
      },
      async set(key, value) {
        const vault = await readVault(path);
        vault[key] = (await safeStorage.encryptStringAsync(value)).toString('base64');
        await writeVault(path, vault);
      },
      async delete(key) {
        const vault = await readVault(path);
        await writeVault(path, Object.fromEntries(Object.entries(vault).filter(([name]) => name !== key)));
      },
    },
  };
}
