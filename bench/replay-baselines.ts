// Bare baselines for the catch-up figure, of the same volume, measured in the same run: what SQLite
// alone and HTTP alone cost, so the client's figure is read as a ratio to them.
import { openDatabase } from '../src-main/lib/sqlite.ts';
import { now } from './client-lib.ts';

/** Insert `rows` rows of ≈1 KiB into one table (WAL, synchronous FULL), `perTxn` per transaction; ms. */
export function bareSqliteInsert(path: string, rows: number, perTxn: number): number {
  const db = openDatabase(path, { synchronous: 'FULL' });
  db.exec('CREATE TABLE bare (n INTEGER PRIMARY KEY, focus TEXT NOT NULL, body TEXT NOT NULL)');
  const insert = db.prepare<[number, string, string]>('INSERT INTO bare (n, focus, body) VALUES (?, ?, ?)');
  const body = 'x'.repeat(1024);
  const batch = db.transaction((from: number, to: number) => {
    for (let n = from; n < to; n += 1) insert.run(n, `Observation/obs-${n}`, body);
  });
  const t0 = now();
  for (let n = 0; n < rows; n += perTxn) batch(n, Math.min(rows, n + perTxn));
  const ms = now() - t0;
  db.close();
  return ms;
}

/** Fetch `ids` of `type` by `_id` lists of `perRequest`, one request at a time, bodies read; ms. */
export async function bareHttpSearch(
  fhirBase: string,
  token: string,
  type: string,
  ids: readonly string[],
  perRequest: number,
): Promise<number> {
  const t0 = now();
  let found = 0;
  for (let i = 0; i < ids.length; i += perRequest) {
    const part = ids.slice(i, i + perRequest);
    const response = await fetch(`${fhirBase}/${type}?_id=${part.join(',')}&_count=${part.length}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`bare search answered ${response.status}`);
    found += (text.match(/"mode":"match"/g) ?? []).length;
  }
  const ms = now() - t0;
  if (found !== ids.length) throw new Error(`bare search found ${found} of ${ids.length}`);
  return ms;
}
