// Fuzz smoke of the full parsing pipeline: a few thousand seeded cases per `npm test`; the
// long run is `npm run fuzz` (>= 100,000 cases, same properties).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryBoundCheck, properties } from '../../support/pipeline-fuzz.ts';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261122);

describe('pipeline fuzz smoke (SSE framing -> bundle parser -> classifier)', () => {
  properties().forEach(({ name, property }, index) => {
    it(
      name,
      () => {
        fc.assert(property, { seed: SEED + index, numRuns: 1500 });
      },
      60_000,
    );
  });

  it('a stream that never ends a line trips the overflow at the limit; memory stays bounded', () => {
    const limit = 256 * 1024;
    const { overflowAt, growth } = memoryBoundCheck(limit, 16 * 1024 * 1024, 16 * 1024);
    expect(overflowAt).not.toBeNull();
    expect(overflowAt ?? Infinity).toBeLessThanOrEqual(limit + 16 * 1024);
    expect(growth).toBeLessThan(64 * 1024 * 1024);
  });
});
