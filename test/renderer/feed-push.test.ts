// A push into the feed follows from the previous list's results and the one row that changed (counts,
// open criticals, the row's place, the look-up by id), so its cost does not grow with the list. These
// tests hold the incremental results to what a full scan of the same list gives, over random pushes.
import { describe, expect, it } from 'vitest';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { derive } from '../../src-renderer/feed/derived.ts';
import {
  actionCounts,
  changeOf,
  facets,
  facetsOf,
  findAlert,
  newestFirst,
  upsertAlert,
} from '../../src-renderer/feed/feed-model.ts';
import { sameNameReferences } from '../../src-renderer/feed/identity.ts';
import { openCriticals } from '../../src-renderer/feed/triage.ts';
import { rowRange, scrollFor } from '../../src-renderer/feed/use-fixed-rows.ts';

/** A seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TIERS = ['info', 'high', 'critical', 'unclassified'] as const;
const STATES = ['new', 'seen', 'acknowledged', 'escalated', 'resolved'] as const;

function randomAlert(next: () => number, n: number): AlertSummary {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const at = new Date(1_700_000_000_000 + Math.floor(next() * 50) * 1000).toISOString();
  const p = Math.floor(next() * 6);
  return {
    id: `s:${n}`,
    subscriptionKey: 's',
    eventNumber: String(n),
    topic: 't',
    focus: `${pick(['Observation', 'MedicationRequest'])}/o${n}`,
    tier: pick(TIERS),
    headline: `row ${n}`,
    reason: '',
    patient: { reference: `Patient/p${p}`, name: `Pat ${p % 4}` },
    location: pick(['Ward A bed 1', 'Ward B bed 2']),
    occurredAt: at,
    receivedAt: at,
    state: pick(STATES),
    fetch: 'ok',
  };
}

describe('feed pushes', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: after every push, the derived results equal a full scan of the same list`, () => {
      const next = random(seed);
      // A loaded page (no chain yet), then pushes: new rows and updates of existing ones.
      let list: AlertSummary[] = Array.from({ length: 40 }, (_, i) => randomAlert(next, i)).sort(newestFirst);
      derive(list);
      facetsOf(list);
      for (let step = 0; step < 300; step += 1) {
        const id = next() < 0.4 ? Math.floor(next() * (40 + step)) : 1000 + step;
        const pushed = randomAlert(next, id);
        list = upsertAlert(list, pushed);
        expect(changeOf(list)?.added).toBe(pushed);
        const derived = derive(list);
        expect(derived.counts).toEqual(actionCounts(list));
        expect(derived.openCriticals.map((a) => a.id)).toEqual(openCriticals(list).map((a) => a.id));
        expect([...derived.sameNames].sort()).toEqual(
          [...sameNameReferences(list.slice(0, 5000).map((a) => a.patient))].sort(),
        );
        expect(findAlert(list, pushed.id)).toBe(pushed);
        // Every row is unique and in order, exactly as a sort of the rows would give.
        expect(new Set(list.map((a) => a.id)).size).toBe(list.length);
        expect(list.map((a) => a.id)).toEqual([...list].sort(newestFirst).map((a) => a.id));
        // The filter menu offers at least every value of the scanned window.
        const fresh = facets(list);
        const kept = facetsOf(list);
        for (const type of fresh.types) expect(kept.types).toContain(type);
        for (const ward of fresh.locations) expect(kept.locations).toContain(ward);
        for (const p of fresh.patients) expect(kept.patients.map((q) => q.reference)).toContain(p.reference);
      }
    });
  }

  it('an older list of the chain is still updated correctly (its index is ahead of it)', () => {
    const a = randomAlert(random(9), 1);
    const b = randomAlert(random(10), 2);
    const first = upsertAlert([], a);
    const second = upsertAlert(first, b);
    // Someone applies a push to the first list again: b is not in it, so it is inserted, not replaced.
    const again = upsertAlert(first, { ...b, headline: 'again' });
    expect(again.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(second).toHaveLength(2);
    expect(findAlert(again, b.id)?.headline).toBe('again');
  });
});

describe('fixed-height rows', () => {
  it('renders the rows in view plus the overscan, whatever the list length', () => {
    expect(rowRange({ top: 0, height: 800 }, 100_000, 80, 8)).toEqual({ first: 0, last: 18 });
    expect(rowRange({ top: 80 * 50_000, height: 800 }, 100_000, 80, 8)).toEqual({
      first: 49_992,
      last: 50_018,
    });
    expect(rowRange({ top: 0, height: 800 }, 3, 80, 8)).toEqual({ first: 0, last: 3 });
    expect(rowRange({ top: 0, height: 0 }, 0, 80, 8)).toEqual({ first: 0, last: 0 });
  });

  it('scrolls just enough to show the cursor row', () => {
    const viewport = { top: 800, height: 400 };
    expect(scrollFor(5, 80, viewport)).toBe(400); // above: its top at the top
    expect(scrollFor(12, 80, viewport)).toBe(null); // in view: no move
    expect(scrollFor(20, 80, viewport)).toBe(20 * 80 + 80 - 400); // below: its bottom at the bottom
  });
});
