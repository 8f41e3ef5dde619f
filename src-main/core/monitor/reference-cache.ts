// A small in-memory cache of what enrichment learned about resources that change rarely (a patient's
// name, a bed's name), so a burst of results for the same ward does not read the same Location and
// Patient again for every alert. Bounded in size and age: a renamed bed or a corrected name shows
// within `maxAgeMs`. Memory only (never written: the durable cache is the store's resource_cache).
export interface ReferenceCache<V> {
  entries: Map<string, { value: V; at: number }>;
  maxEntries: number;
  maxAgeMs: number;
}

export function createReferenceCache<V>(maxEntries: number, maxAgeMs: number): ReferenceCache<V> {
  return { entries: new Map(), maxEntries, maxAgeMs };
}

/** The cached value, or undefined when absent or older than the cache's age limit. */
export function cached<V>(cache: ReferenceCache<V>, key: string, now = Date.now()): V | undefined {
  const entry = cache.entries.get(key);
  if (!entry) return undefined;
  if (now - entry.at > cache.maxAgeMs) {
    cache.entries.delete(key);
    return undefined;
  }
  return entry.value;
}

/** Remember a value; the oldest entry goes when the cache is full (Map keeps insertion order). */
export function remember<V>(cache: ReferenceCache<V>, key: string, value: V, now = Date.now()): void {
  cache.entries.delete(key);
  cache.entries.set(key, { value, at: now });
  while (cache.entries.size > cache.maxEntries) {
    const oldest = cache.entries.keys().next();
    if (oldest.done) break;
    cache.entries.delete(oldest.value);
  }
}
