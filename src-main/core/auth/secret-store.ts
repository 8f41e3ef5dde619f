// Where a refresh token is kept at rest. The Electron shell provides a safeStorage-backed store that refuses
// to persist when only the Linux `basic_text` fallback is available; plain Node uses the in-memory store
// (nothing survives a restart, which is the safe default).

export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();

  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

/** The key under which the refresh token for one server + client is stored. */
export function refreshTokenKey(fhirBase: string, clientId: string): string {
  return `smart-refresh-token:${clientId}@${fhirBase.replace(/\/+$/, '')}`;
}
