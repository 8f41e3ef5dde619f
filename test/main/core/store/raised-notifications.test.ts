// The notifications still followed for withdrawal, over a real SQLite file: one for several alerts is
// released only with the last of them, each once; the oldest past the limit is no longer followed; what
// an earlier run raised survives a reopen and is settled against the alerts closed since.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';
import { createRaisedNotificationStore } from '../../../../src-main/core/store/raised-notifications.ts';

const opened: ClientStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

function storeAt(path = join(mkdtempSync(join(tmpdir(), 'raised-')), 'monitor.sqlite')) {
  const store = openClientStore(path);
  opened.push(store);
  return { store, path };
}

describe('raised notifications', () => {
  it('releases a notification for several alerts only when the last is released, each once', () => {
    const raised = storeAt().store.raisedNotifications;
    raised.follow({ key: 'g1', kind: 'group', run: 'r', alertIds: ['a', 'b', 'c'] });
    raised.follow({ key: 'g2', kind: 'group', run: 'r', alertIds: ['c', 'd'] });
    expect(raised.release('a')).toEqual([]);
    expect(raised.release('c')).toEqual([]);
    expect(raised.release('b')).toEqual([{ key: 'g1', kind: 'group', run: 'r', osRef: null }]);
    expect(raised.release('b')).toEqual([]);
    expect(raised.release('d').map((n) => n.key)).toEqual(['g2']);
    expect(raised.followed()).toBe(0);
  });

  it('follows at most its limit: the oldest is no longer followed', () => {
    const { store } = storeAt();
    const raised = createRaisedNotificationStore(store.db, 2);
    raised.follow({ key: 'g1', kind: 'group', run: 'r', alertIds: ['a'] });
    raised.follow({ key: 'g2', kind: 'group', run: 'r', alertIds: ['b'] });
    raised.follow({ key: 'g3', kind: 'group', run: 'r', alertIds: ['c'] });
    expect(raised.followed()).toBe(2);
    expect(raised.release('a')).toEqual([]);
    expect(raised.release('c').map((n) => n.key)).toEqual(['g3']);
  });

  it('keeps the host’s ref across a reopen, and settles only an earlier run’s notifications', () => {
    const { store, path } = storeAt();
    const id = store.raisedNotifications.follow({ key: 'a', kind: 'alert', run: 'run-1', alertIds: ['a'] });
    store.raisedNotifications.setOsRef(id, 'dbus-7');
    store.raisedNotifications.follow({ key: 'g', kind: 'group', run: 'run-2', alertIds: ['a', 'b'] });
    store.close();

    const raised = storeAt(path).store.raisedNotifications;
    // Run 2 is the one now: its own notification is followed by acknowledgments, not settled.
    expect(raised.settleEarlier('run-2', () => false)).toEqual([
      { key: 'a', kind: 'alert', run: 'run-1', osRef: 'dbus-7' },
    ]);
    expect(raised.followed()).toBe(1);
    expect(raised.release('a')).toEqual([]);
    expect(raised.release('b').map((n) => n.key)).toEqual(['g']);
  });

  it('forgets a notification that could not be raised', () => {
    const raised = storeAt().store.raisedNotifications;
    const id = raised.follow({ key: 'g', kind: 'group', run: 'r', alertIds: ['a'] });
    raised.forget(id);
    expect(raised.release('a')).toEqual([]);
    expect(raised.followed()).toBe(0);
  });
});
