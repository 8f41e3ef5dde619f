// Open channel connections by grant, so that revoking a grant closes every stream it opened (the SSE
// contract: `revoked` frame and close within 1 s). Shutdown is not revocation: `closeAll` uses each
// connection's own shutdown callback, so clients reconnect with their cursor instead of stopping.
export interface StreamRegistry {
  add(grantId: string, onRevoked: () => void, onShutdown: () => void): () => void;
  revoke(grantIds: readonly string[]): number;
  /** Open streams of one grant (SSE streams and bound websockets). */
  count(grantId: string): number;
  size(): number;
  closeAll(): void;
}

export function createStreamRegistry(): StreamRegistry {
  const byGrant = new Map<string, Set<() => void>>();
  const shutdowns = new Map<() => void, () => void>();
  return {
    add(grantId, onRevoked, onShutdown) {
      shutdowns.set(onRevoked, onShutdown);
      let set = byGrant.get(grantId);
      if (!set) {
        set = new Set();
        byGrant.set(grantId, set);
      }
      set.add(onRevoked);
      return () => {
        shutdowns.delete(onRevoked);
        set.delete(onRevoked);
        if (set.size === 0) byGrant.delete(grantId);
      };
    },
    revoke(grantIds) {
      let closed = 0;
      for (const grantId of grantIds) {
        for (const close of [...(byGrant.get(grantId) ?? [])]) {
          close();
          closed += 1;
        }
      }
      return closed;
    },
    count: (grantId) => byGrant.get(grantId)?.size ?? 0,
    size: () => [...byGrant.values()].reduce((n, set) => n + set.size, 0),
    closeAll() {
      for (const set of [...byGrant.values()]) for (const onRevoked of [...set]) shutdowns.get(onRevoked)?.();
    },
  };
}
