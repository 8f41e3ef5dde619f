// No PHI in logs: every seeded patient's family name, full name and MRN, searched for in the server's
// and the monitor's logs (written at debug level) and the monitor's JSONL.
import { existsSync, readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';

function seededIdentifiers(sdb: Database.Database): Set<string> {
  const patients = sdb.prepare("SELECT body FROM resource_current WHERE type = 'Patient'").all() as {
    body: string;
  }[];
  const needles = new Set<string>();
  for (const { body } of patients) {
    const p = JSON.parse(body) as {
      name?: { family?: string; given?: string[] }[];
      identifier?: { value?: string }[];
    };
    for (const n of p.name ?? []) {
      if (n.family && n.family.length >= 3) needles.add(n.family);
      const full = [...(n.given ?? []), n.family ?? ''].join(' ').trim();
      if (full.includes(' ')) needles.add(full);
    }
    for (const id of p.identifier ?? []) if (id.value) needles.add(id.value);
  }
  return needles;
}

const readIfThere = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/** The identifiers found in the logs (a problem when there were no seeded patients to look for). */
export function phiInLogs(sdb: Database.Database, logFiles: readonly string[], problems: string[]): string[] {
  const needles = seededIdentifiers(sdb);
  if (needles.size === 0) problems.push('no seeded patients found to check logs against');
  const logs = logFiles.map(readIfThere).join('\n');
  return [...needles].filter((n) =>
    new RegExp(`\\b${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(logs),
  );
}
