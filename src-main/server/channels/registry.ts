// Open channel connections by grant, so that revoking a grant closes every stream it opened (the SSE
// contract: `revoked` frame and close within 1 s).
export interface StreamRegistry {
  add(grantId: string, onRevoked: () => void): () => void;
  revoke(grantIds: readonly string[]): number;
  size(): number;
  closeAll(): void;
}

export function createStreamRegistry(): StreamRegistry {
  const byGrant = new Map<string, Set<() => void>>();
  return {
    add(grantId, onRevoked) {
      let set = byGrant.get(grantId);
      if (!set) {
        set = new Set();
        byGrant.set(grantId, set);
      }
      set.add(onRevoked);
      return () => {
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
    size: () => [...byGrant.values()].reduce((n, set) => n + set.size, 0),
    closeAll() {
      for (const set of [...byGrant.values()]) for (const close of [...set]) close();
    },
  };
}
