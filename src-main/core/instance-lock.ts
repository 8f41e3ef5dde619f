// One running monitor per data directory. Two processes committing cursors into the same SQLite file
// would not corrupt it (SQLite locks), but they would double-notify; refuse clearly instead.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../lib/private-files.ts';

export class InstanceLockedError extends Error {
  override readonly name = 'InstanceLockedError';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock or throw InstanceLockedError naming the running process. Returns the release function. */
export function acquireInstanceLock(dataDir: string): () => void {
  // The lock comes first at start-up, so it also creates the data directory on a first run (0700:
  // the monitor's database holds patient names and the audit log).
  ensurePrivateDir(dataDir);
  const path = join(dataDir, 'monitor.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
        throw new InstanceLockedError(
          `Another Alert Monitor (pid ${pid}) is already running with data directory ${dataDir}. ` +
            'Use that window, or stop it first.',
        );
      }
      unlinkSync(path); // stale lock from a crashed run
    }
  }
  throw new InstanceLockedError(`Could not take the instance lock in ${dataDir}.`);
}
