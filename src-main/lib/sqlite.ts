// Opening and migrating SQLite databases, shared by the client core and the embedded server.
import Database from 'better-sqlite3';
import { ensurePrivateFile, narrowIfPresent } from './private-files.ts';

export type Db = Database.Database;

/**
 * A database file this version cannot use: not SQLite, damaged, unreadable, or written by a newer
 * version. The message names the file, says that nothing in it was changed, and what to do; the app
 * shows it instead of starting (a file holding alerts and their audit trail is never overwritten).
 */
export class DatabaseFileError extends Error {
  constructor(path: string, problem: string, remedy: string) {
    super(`The database ${path} cannot be used: ${problem}. Nothing in it was changed. ${remedy}`);
    this.name = 'DatabaseFileError';
  }
}

const KEEP_FOR_IT = 'Keep it for IT: restore it from a backup, or move it aside to start with an empty one.';

/** SQLite's result codes for a file that is not (or no longer) a usable database, in people's words. */
const UNUSABLE: Record<string, string> = {
  SQLITE_NOTADB: 'it is not an SQLite database',
  SQLITE_CORRUPT: 'it is damaged',
  SQLITE_CANTOPEN: 'it cannot be opened',
  SQLITE_READONLY: 'it cannot be written',
  SQLITE_PERM: 'it cannot be written',
  SQLITE_IOERR: 'it cannot be read or written',
};

function unusable(path: string, error: unknown): Error {
  if (!(error instanceof Database.SqliteError))
    return error instanceof Error ? error : new Error(String(error));
  const family = error.code.replace(/^(SQLITE_[A-Z]+).*$/, '$1');
  const problem = UNUSABLE[family];
  return problem ? new DatabaseFileError(path, `${problem} (SQLite: ${error.message})`, KEEP_FOR_IT) : error;
}

export interface OpenOptions {
  /** `FULL` fsyncs the WAL on every commit (survives power loss); `NORMAL` survives process crashes only. */
  synchronous?: 'FULL' | 'NORMAL';
  readonly?: boolean;
}

/** SQLite's in-memory and temporary databases have no file to protect. */
function isFile(path: string): boolean {
  return path !== '' && path !== ':memory:' && !path.startsWith('file:');
}

/**
 * Open a database in WAL mode. WAL lets readers (the UI, `$events`) run beside the single writer, and a
 * committed transaction survives `kill -9` of this process at any instant.
 *
 * A database written here is 0600 before SQLite first opens it (names, audit rows, signing keys live
 * in these files); SQLite creates its -wal and -shm files with the database file's mode, and any left
 * wider by an older version are narrowed here.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const writable = !options.readonly && isFile(path);
  if (writable) createPrivately(path);
  let db: Db;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, timeout: 5000 });
  } catch (error) {
    throw unusable(path, error);
  }
  try {
    // The first statements read the file's header: a file that is not a database fails here.
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    } else db.pragma('schema_version');
  } catch (error) {
    db.close();
    throw unusable(path, error);
  }
  if (writable) for (const suffix of ['-wal', '-shm']) narrowIfPresent(`${path}${suffix}`);
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * SQLite's page cache per connection, in KiB. better-sqlite3 is built with 16 MiB; a host holds two
 * connections (the monitor's store and the embedded server's), whose caches fill over the first hours of
 * a ward's traffic as the files grow: up to +32 MiB of resident memory that reads as growth
 * (docs/benchmarks.md, "Where the host's memory went"). At 4 MiB a catch-up of 100,000 events runs no
 * slower beyond the noise (`npm run bench:client:replay`, alternating runs): pages beyond the cache come
 * from the operating system's file cache.
 */
export const PAGE_CACHE_KIB = 4096;

/**
 * Create the database file 0600 before SQLite does. Where that is impossible (a directory in its place,
 * a missing parent) SQLite's own open reports the problem in its words.
 */
function createPrivately(path: string): void {
  try {
    ensurePrivateFile(path);
  } catch {
    // reported by the open below
  }
}

export interface Migration {
  version: number;
  /** Why this migration exists, kept for the schema history. */
  description: string;
  up: (db: Db) => void;
}

/**
 * Apply the migrations of one area (e.g. `client`, `server`, `auth`) that have not run yet, each in its
 * own transaction. Areas are independent so modules sharing a file can evolve their schemas separately.
 */
export function migrate(db: Db, area: string, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    area TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (area, version))`);
  const applied = new Set(
    db
      .prepare<[string], { version: number }>('SELECT version FROM schema_migrations WHERE area = ?')
      .all(area)
      .map((row) => row.version),
  );
  // A file from a newer release (then rolled back) has tables this version does not know: refused
  // before anything is applied, so the newer release still finds it as it left it.
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known)
    throw new DatabaseFileError(
      db.name,
      `it was written by a newer version of Alert Monitor (${area} schema ${newest}; this version knows up to ${known})`,
      'Start the newer version again.',
    );
  const record = db.prepare(
    'INSERT INTO schema_migrations (area, version, description, applied_at) VALUES (?, ?, ?, ?)',
  );
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const migration of sorted) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      migration.up(db);
      record.run(area, migration.version, migration.description, new Date().toISOString());
    })();
  }
}
