// The headless monitor's JSONL output (`--jsonl`): one line per accepted event, notification and session
// change, written with one writeSync each so a kill -9 leaves at most a torn last line.
import { existsSync, readFileSync } from 'node:fs';

export interface JsonlLine {
  kind: string;
  eventNumber?: number;
  subscriptionId?: string;
  alertId?: string | null;
  notificationKind?: string;
  alertIds?: string[];
  state?: string;
}

export function readJsonl(path: string): JsonlLine[] {
  if (!existsSync(path)) return [];
  const out: JsonlLine[] = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    try {
      out.push(JSON.parse(raw) as JsonlLine);
    } catch {
      // a line torn by kill -9 (writeSync of one short line makes this practically impossible)
    }
  }
  return out;
}
