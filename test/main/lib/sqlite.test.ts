// Every database the app opens has a bounded page cache (better-sqlite3's build default is 16 MiB per
// connection, which a host's two connections fill over hours: resident memory that reads as growth), is
// in WAL mode, and is synchronous FULL unless asked otherwise. Real SQLite files.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DatabaseFileError,
  migrate,
  openDatabase,
  PAGE_CACHE_KIB,
  type Migration,
} from '../../../src-main/lib/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openDatabase', () => {
  it('bounds the page cache to a few MiB, in WAL mode, FULL by default', () => {
    const db = openDatabase(join(dir, 'a.sqlite'));
    expect(db.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
    expect(PAGE_CACHE_KIB).toBeLessThanOrEqual(4096);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    db.close();
    const normal = openDatabase(join(dir, 'b.sqlite'), { synchronous: 'NORMAL' });
    expect(normal.pragma('synchronous', { simple: true })).toBe(1);
    normal.close();
  });
});

describe('a database that cannot be used', () => {
  it('a file that is not SQLite: the error names the file and what to do, and the file is left as it was', () => {
    const path = join(dir, 'garbage.sqlite');
    const bytes = Buffer.from('this is a text file a user saved over the database\n'.repeat(200));
    writeFileSync(path, bytes);
    let error: unknown = null;
    try {
      openDatabase(path).close();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(DatabaseFileError);
    expect((error as Error).message).toBe(
      `The database ${path} cannot be used: it is not an SQLite database (SQLite: file is not a database). ` +
        'Nothing in it was changed. Keep it for IT: restore it from a backup, or move it aside to start with an empty one.',
    );
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('a path it cannot open (a directory in its place): the same kind of error, naming the path', () => {
    const path = join(dir, 'a-directory.sqlite');
    mkdirSync(path);
    expect(() => openDatabase(path)).toThrow(DatabaseFileError);
    expect(() => openDatabase(path)).toThrow(`The database ${path} cannot be used: it cannot be opened`);
  });

  it('one written by a newer version: refused before any migration runs, so a rollback cannot damage it', () => {
    const path = join(dir, 'newer.sqlite');
    const v1: Migration = { version: 1, description: 'first', up: (db) => db.exec('CREATE TABLE t (a)') };
    const v2: Migration = { version: 2, description: 'second', up: (db) => db.exec('ALTER TABLE t ADD b') };
    const v3: Migration = { version: 3, description: 'third', up: (db) => db.exec('CREATE TABLE u (c)') };
    const newer = openDatabase(path);
    migrate(newer, 'client', [v1, v3]);
    newer.close();
    // This version knows 1 and 2; the file already has 3 (written by a newer release, then rolled back).
    const older = openDatabase(path);
    expect(() => migrate(older, 'client', [v1, v2])).toThrow(DatabaseFileError);
    expect(() => migrate(older, 'client', [v1, v2])).toThrow(
      `The database ${path} cannot be used: it was written by a newer version of Alert Monitor ` +
        '(client schema 3; this version knows up to 2). Nothing in it was changed. Start the newer version again.',
    );
    const versions = older
      .prepare<[], { version: number }>("SELECT version FROM schema_migrations WHERE area = 'client'")
      .all()
      .map((row) => row.version);
    expect(versions).toEqual([1, 3]);
    expect(older.prepare("SELECT name FROM pragma_table_info('t')").all()).toEqual([{ name: 'a' }]);
    older.close();
  });
});
