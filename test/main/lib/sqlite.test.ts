// Every database the app opens has a bounded page cache (better-sqlite3's build default is 16 MiB per
// connection, which a host's two connections fill over hours: resident memory that reads as growth), is
// in WAL mode, and is synchronous FULL unless asked otherwise. Real SQLite files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, PAGE_CACHE_KIB } from '../../../src-main/lib/sqlite.ts';

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
