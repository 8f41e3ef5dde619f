// How many critical results does the local demo deliver per ward per real minute? The simulator runs at
// the demo's 60× (one simulated hour a real minute) over whole simulated days, each real minute advanced
// in one go, and the criticals (HH/LL) it wrote are counted per ward and minute. What README.md says about
// the demo's rates comes from this script's output. Usage: node bench/demo-rates.ts [--days 3] [--seeds 5]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate, openDatabase } from '../src-main/lib/sqlite.ts';
import { createSimulator, WARDS } from '../src-main/server/simulator/index.ts';
import { createResourceStore } from '../src-main/server/store/resources.ts';
import { SERVER_MIGRATIONS } from '../src-main/server/store/schema.ts';

const { values } = parseArgs({
  options: { days: { type: 'string', default: '3' }, seeds: { type: 'string', default: '5' } },
});
const RATE = 60;
const days = Number(values.days);
const seeds = Number(values.seeds);

/** Which real minutes (by index) fell in the simulated morning draw (05:00–07:30). */
const morning = new Set<string>();

/** Criticals per ward for every real minute of one run. */
function perMinute(seed: number): Map<string, number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'demo-rates-'));
  const db = openDatabase(join(dir, 'db.sqlite'), { synchronous: 'NORMAL' });
  migrate(db, 'server', SERVER_MIGRATIONS);
  const sim = createSimulator(createResourceStore(db), {
    seed,
    rate: RATE,
    // Each run starts at another hour of the day, as a demo started at any time would.
    startTime: Date.parse('2026-03-02T00:00:00Z') + ((seed * 5) % 24) * 3_600_000,
  });
  sim.seed();
  const counts = new Map<string, number[]>(WARDS.map((w) => [w, []]));
  const newResults = db.prepare<[number], { rowid: number; body: string }>(
    "SELECT rowid, body FROM resource_version WHERE type = 'Observation' AND rowid > ? ORDER BY rowid",
  );
  let after = 0;
  for (let minute = 0; minute < (days * 24 * 60) / RATE; minute += 1) {
    const hour = new Date(sim.now()).getUTCHours() + new Date(sim.now()).getUTCMinutes() / 60;
    if (hour >= 5 && hour < 7.5) morning.add(`${seed}:${minute}`);
    sim.advance(60_000 * RATE);
    const minuteCounts = new Map<string, number>(WARDS.map((w) => [w, 0]));
    for (const row of newResults.all(after)) {
      after = row.rowid;
      const obs = JSON.parse(row.body) as {
        meta?: { security?: { code?: string }[] };
        interpretation?: unknown;
      };
      const ward = obs.meta?.security?.[0]?.code ?? '';
      if (/"(HH|LL)"/.test(JSON.stringify(obs.interpretation)))
        minuteCounts.set(ward, (minuteCounts.get(ward) ?? 0) + 1);
    }
    for (const ward of WARDS) counts.get(ward)?.push(minuteCounts.get(ward) ?? 0);
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return counts;
}

const series: number[][] = [];
const peak: number[] = [];
const offPeak: number[] = [];
for (let seed = 1; seed <= seeds; seed += 1) {
  for (const minutes of perMinute(seed).values()) {
    series.push(minutes);
    minutes.forEach((v, minute) => (morning.has(`${seed}:${minute}`) ? peak : offPeak).push(v));
  }
}
const all = series.flat();
const meanOf = (values: number[]) => values.reduce((n, v) => n + v, 0) / Math.max(1, values.length);
const sorted = [...all].sort((a, b) => a - b);
const mean = all.reduce((n, v) => n + v, 0) / all.length;
const share = (test: (v: number) => boolean) => (100 * all.filter(test).length) / all.length;
/** The longest run of minutes without a critical on one ward. */
let longestQuiet = 0;
for (const minutes of series) {
  let quiet = 0;
  for (const v of minutes) {
    quiet = v === 0 ? quiet + 1 : 0;
    longestQuiet = Math.max(longestQuiet, quiet);
  }
}
console.log(
  `demo critical results per ward per real minute at ${RATE}× (${seeds} seeds × ${days} simulated days, ${all.length} ward-minutes)`,
);
console.log(`  mean ${mean.toFixed(2)} per minute (one every ${(1 / mean).toFixed(1)} min)`);
console.log(
  `  during the simulated morning draw (05:00–07:30) ${meanOf(peak).toFixed(2)} per minute; otherwise ${meanOf(offPeak).toFixed(2)} (one every ${(1 / meanOf(offPeak)).toFixed(1)} min)`,
);
console.log(
  `  minutes with none ${share((v) => v === 0).toFixed(0)} %, with 1 ${share((v) => v === 1).toFixed(0)} %, with 2+ ${share((v) => v >= 2).toFixed(0)} %`,
);
console.log(
  `  busiest minute ${sorted.at(-1)}, 99th percentile ${sorted[Math.floor(0.99 * (sorted.length - 1))]}`,
);
console.log(`  longest quiet stretch ${longestQuiet} min`);
