import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { coalescedAlertPushes } from '../../../../src-main/core/workstation/alert-pushes.ts';

function recorder() {
  const pushed: string[] = [];
  const bursts: number[] = [];
  return {
    pushed,
    bursts,
    targets: { one: (id: string) => pushed.push(id), burst: (n: number) => bursts.push(n) },
  };
}

describe('alert pushes to the page', () => {
  it('pushes a few changes one by one, in order, each alert once, at the next turn', async () => {
    const r = recorder();
    const pushes = coalescedAlertPushes(r.targets, 3);
    for (const id of ['a', 'b', 'a', 'c']) pushes.request(id);
    expect(r.pushed).toEqual([]);
    await nextTurn();
    expect(r.pushed).toEqual(['a', 'b', 'c']);
    expect(r.bursts).toEqual([]);
  });

  it('turns more changes than the limit in one turn into one burst, and no single push', async () => {
    const r = recorder();
    const pushes = coalescedAlertPushes(r.targets, 3);
    for (const id of ['a', 'b', 'c', 'd']) pushes.request(id);
    await nextTurn();
    expect(r.bursts).toEqual([4]);
    expect(r.pushed).toEqual([]);
  });

  it('counts each turn on its own: a burst, then a single change pushed as itself', async () => {
    const r = recorder();
    const pushes = coalescedAlertPushes(r.targets, 3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) pushes.request(id);
    await nextTurn();
    pushes.request('f');
    await nextTurn();
    expect(r.bursts).toEqual([5]);
    expect(r.pushed).toEqual(['f']);
  });

  it('drops what is gathered when cancelled (the service is closing)', async () => {
    const r = recorder();
    const pushes = coalescedAlertPushes(r.targets, 3);
    pushes.request('a');
    pushes.cancel();
    await nextTurn();
    expect(r.pushed).toEqual([]);
    expect(r.bursts).toEqual([]);
  });
});
