// `npm run soak -- --schedules 1000 [--seed 1] [--runs 4] [--parallel 2] [--token-ttl 60] [--dir PATH]
//   [--minutes M] [--token-faults P]`
// `npm run soak -- --closed-loop --schedules 200 [--seed 1] [--dir PATH]`: the two-workstation variant
//   (test/support/soak-closed-loop.ts): two Ward A workstations and the charge nurse against one server;
//   prints double acknowledgments and double escalations (both must be 0) and the acknowledgment's
//   propagation time to the other workstation.
// The long soak: `runs` independent runs (each with its own server, proxy, monitor and one
// revocation in the middle) share the schedules; prints the figures and exits 1 on any violation.
// `--minutes M` keeps every run going for at least M minutes (so 60-second tokens are renewed many
// times); `--token-faults P` cuts each token endpoint answer with probability P (docs/proof.md).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runSoak, type SoakResult } from '../test/support/soak.ts';
import { runClosedLoopSoak } from '../test/support/soak-closed-loop.ts';

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '4' },
    parallel: { type: 'string', default: '2' },
    'token-ttl': { type: 'string', default: '60' },
    dir: { type: 'string' },
    minutes: { type: 'string', default: '0' },
    'token-faults': { type: 'string', default: '0' },
    'closed-loop': { type: 'boolean', default: false },
  },
  strict: true,
});

if (values['closed-loop']) {
  const schedules = Number(values.schedules);
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'soak-closed-loop-'));
  console.log(
    `soak (closed loop, two workstations + charge nurse): ${schedules} schedules, seed ${values.seed}, dir ${dir}`,
  );
  const result = await runClosedLoopSoak({
    schedules,
    seed: Number(values.seed),
    workDir: dir,
    log: (line) => console.log(`  ${line}`),
  });
  console.log('');
  console.log(
    `double acknowledgments = ${result.doubleAcknowledgments}, double escalations = ${result.doubleEscalations}, notifications left = ${result.notificationsLeft}, acknowledgment seen on the other workstation: p50 ${result.ackPropagationMs.p50 ?? '-'} ms, p95 ${result.ackPropagationMs.p95 ?? '-'} ms, max ${result.ackPropagationMs.max ?? '-'} ms (target 2000)`,
  );
  console.log(JSON.stringify(result, null, 2));
  const ok =
    result.doubleAcknowledgments === 0 &&
    result.doubleEscalations === 0 &&
    result.notificationsLeft === 0 &&
    result.problems.length === 0;
  process.exit(ok ? 0 : 1);
}
const schedules = Number(values.schedules);
const runs = Math.max(1, Number(values.runs));
const parallel = Math.max(1, Number(values.parallel));
const seed = Number(values.seed);
const ttl = Number(values['token-ttl']);
const minutes = Number(values.minutes);
const tokenFaults = Number(values['token-faults']);
const base = values.dir ?? mkdtempSync(join(tmpdir(), 'soak-'));
const started = Date.now();
console.log(
  `soak: ${schedules} schedules in ${runs} runs (${parallel} at a time), seed ${seed}, token TTL ${ttl} s${minutes > 0 ? `, ≥ ${minutes} min per run` : ''}${tokenFaults > 0 ? `, token answers cut with p = ${tokenFaults}` : ''}, dir ${base}`,
);

const results: SoakResult[] = [];
let next = 0;
async function lane(): Promise<void> {
  while (next < runs) {
    const r = next;
    next += 1;
    const share = Math.floor(schedules / runs) + (r < schedules % runs ? 1 : 0);
    const result = await runSoak({
      schedules: share,
      seed: seed * 100 + r,
      workDir: join(base, `run-${r}`),
      tokenTtlSeconds: ttl,
      ...(minutes > 0 ? { minutes, catchUpMs: 180_000 } : {}),
      ...(tokenFaults > 0 ? { tokenFaultProbability: tokenFaults } : {}),
      log: (line) => console.log(`  [run ${r}] ${line}`),
    });
    results.push(result);
    console.log(`  [run ${r}] ${JSON.stringify(result)}`);
  }
}
await Promise.all(Array.from({ length: Math.min(parallel, runs) }, () => lane()));

const sum = (f: (r: SoakResult) => number) => results.reduce((a, r) => a + f(r), 0);
const figures = {
  schedules: sum((r) => r.schedules),
  serverEvents: sum((r) => r.serverEvents),
  storedEvents: sum((r) => r.storedEvents),
  lost: sum((r) => r.lost),
  unexpected: sum((r) => r.unexpected),
  duplicated: sum((r) => r.duplicated),
  cursorRegressed: sum((r) => r.cursorRegressed),
  criticals: sum((r) => r.criticals),
  notifiedIndividually: sum((r) => r.notifiedIndividually),
  summarised: sum((r) => r.summarised),
  unnotified: sum((r) => r.unnotified),
  doubleNotified: sum((r) => r.doubleNotified),
  missed: sum((r) => r.missed),
  uncheckedNotices: sum((r) => r.uncheckedNotices),
  tokenResponsesDropped: sum((r) => r.tokenResponsesDropped),
  tokenRenewals: sum((r) => r.tokenRenewals),
  signOuts: sum((r) => r.signOuts),
  renotifiedAfterCrash: sum((r) => r.renotifiedAfterCrash),
  criticalMissed: sum((r) => r.criticalMissed),
  serverKills: sum((r) => r.serverKills),
  monitorKills: sum((r) => r.monitorKills),
  monitorRestartsAfterExit: sum((r) => r.monitorExits),
  connectionDrops: sum((r) => r.drops),
  streams: sum((r) => r.proxy.streams),
  duplicatedFramesInjected: sum((r) => r.proxy.duplicatedFrames),
  requestResetsInjected: sum((r) => r.proxy.requestResets),
  revocations: `${results.filter((r) => r.revocation.revoked && r.revocation.oldTokenRejected && r.revocation.freshLogin).length}/${results.length} revoked, old token 401, fresh login`,
  phiInLogs: results.flatMap((r) => r.phiInLogs).length,
  integrity: [...new Set(results.map((r) => r.integrity))].join(','),
  problems: results.flatMap((r) => r.problems),
  minutes: Number(((Date.now() - started) / 60000).toFixed(1)),
};
console.log('');
console.log(
  `lost = ${figures.lost}, duplicated = ${figures.duplicated}, double-notified = ${figures.doubleNotified}, missed (criticals stored but not notified) = ${figures.missed}`,
);
console.log(JSON.stringify(figures, null, 2));
const ok =
  figures.lost === 0 &&
  figures.unexpected === 0 &&
  figures.duplicated === 0 &&
  figures.cursorRegressed === 0 &&
  figures.unnotified === 0 &&
  figures.doubleNotified === 0 &&
  figures.missed === 0 &&
  figures.criticalMissed === 0 &&
  figures.phiInLogs === 0 &&
  figures.integrity === 'ok' &&
  figures.problems.length === 0;
process.exit(ok ? 0 : 1);
