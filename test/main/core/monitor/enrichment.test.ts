// The enrichment queue: a catch-up is cut into full batches (each read by a few searches and stored in
// one transaction: enrichment-batch.test.ts), two in flight, each finished batch starting the next; an
// id already queued is not queued again.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src-main/core/log.ts';
import {
  BATCH_SIZE,
  createEnrichmentQueue,
  enqueueEnrichment,
  type QueueWork,
} from '../../../../src-main/core/monitor/enrichment.ts';
import { until } from '../../../support/until.ts';

describe('the enrichment queue', () => {
  it('gives a catch-up full batches, two at a time, each id once', async () => {
    const queue = createEnrichmentQueue();
    const batches: string[][] = [];
    const finish: Array<() => void> = [];
    const work: QueueWork = {
      run: (ids) => {
        batches.push(ids);
        return new Promise<void>((resolve) => finish.push(resolve));
      },
      settled: () => undefined,
      logger: silentLogger(),
    };
    const ids = Array.from({ length: 1000 }, (_, i) => `alert-${i}`);
    enqueueEnrichment(queue, ids, work);
    enqueueEnrichment(queue, ids.slice(0, 10), work); // already queued: not again
    expect(batches.map((b) => b.length)).toEqual([BATCH_SIZE, BATCH_SIZE]);
    // Each finished batch starts the next, of what is waiting; every id once.
    while (batches.flat().length < 1000) {
      const waiting = batches.length;
      finish.shift()?.();
      await until(() => batches.length > waiting, 'the next batch');
    }
    expect(batches.every((b) => b.length <= BATCH_SIZE)).toBe(true);
    expect(batches.flat()).toHaveLength(1000);
    expect(new Set(batches.flat()).size).toBe(1000);
    for (const done of finish.splice(0)) done();
  });
});
