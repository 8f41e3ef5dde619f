// Files at rest that only the workstation's own user may read (docs/architecture.md, "Data at rest"):
// the data directory is 0700 and every file with patient data, audit rows, keys or session material in
// it is 0600. Modes are set explicitly after creation (chmod), so they do not depend on the process
// umask, and a file left readable by an older version is narrowed the next time it is opened.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Create `dir` (and parents) if missing and make it 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Create `path` empty if missing, and make it 0600 either way (a database before SQLite opens it). */
export function ensurePrivateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** Narrow an existing file to 0600; a missing one is fine (SQLite's -wal/-shm come and go). */
export function narrowIfPresent(path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
  } catch (error) {
    if (!existsSync(path)) return;
    throw error;
  }
}

/**
 * Write `data` to `path` as a 0600 file, atomically: a temporary file beside it is written, narrowed
 * and renamed over the target, so a crash never leaves half a file and the content is never readable
 * by others, not even for an instant.
 */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, data, { mode: PRIVATE_FILE_MODE });
  chmodSync(temporary, PRIVATE_FILE_MODE);
  renameSync(temporary, path);
}
