import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireInstanceLock, InstanceLockedError } from '../../../src-main/core/instance-lock.ts';

describe('acquireInstanceLock', () => {
  it('refuses a second holder with a message naming the running process and directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const parentPid = process.ppid; // a live process that is not us
    writeFileSync(join(dir, 'monitor.lock'), String(parentPid));
    expect(() => acquireInstanceLock(dir)).toThrow(InstanceLockedError);
    expect(() => acquireInstanceLock(dir)).toThrow(new RegExp(`pid ${parentPid}.*${dir}`));
  });

  it('takes over a stale lock left by a dead process and releases it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    writeFileSync(join(dir, 'monitor.lock'), String(dead));
    const release = acquireInstanceLock(dir);
    expect(() => acquireInstanceLock(dir)).not.toThrow(); // same pid re-entering is the stale-check path
    release();
    const again = acquireInstanceLock(dir);
    again();
  });

  it('creates the data directory on a first run', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lock-')), 'not', 'yet', 'there');
    const release = acquireInstanceLock(dir);
    expect(() => acquireInstanceLock(dir)).not.toThrow(InstanceLockedError); // own pid: re-entrant
    release();
  });
});
