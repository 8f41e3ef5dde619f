// Resource writes/s with topic evaluation: POST Observations over HTTP (4 in flight, keep-alive) with
// subscriptions active on every topic — half the Observations are critical and fire the critical-lab
// topic — against the same load with no subscriptions (the baseline), each on a fresh database.
// Every write is one SQLite transaction with synchronous=FULL. Usage: node bench/server-writes.ts [seconds=10]
import { WARD_LABEL_SYSTEM } from '../src-main/server/base/authz.ts';
import { CRITICAL_LAB_TOPIC, TOPIC_BASE } from '../src-main/server/topics/definitions.ts';
import type { BenchChild } from './server-lib.ts';
import {
  createSseSubscription,
  fhirRequest,
  fmt,
  machine,
  now,
  percentile,
  startChild,
} from './server-lib.ts';

const SECONDS = Math.max(1, Math.min(60, Number(process.argv[2] ?? 10)));
const IN_FLIGHT = 4;
const MAX_WRITES = 100_000;

function observation(i: number, patient: string): Record<string, unknown> {
  const critical = i % 2 === 0;
  return {
    resourceType: 'Observation',
    meta: { security: [{ system: WARD_LABEL_SYSTEM, code: 'ward-a' }] },
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: critical ? '2823-3' : '2951-2' }] },
    subject: { reference: patient },
    effectiveDateTime: new Date().toISOString(),
    valueQuantity: critical
      ? { value: 6.8, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' }
      : { value: 140, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    interpretation: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
            code: critical ? 'HH' : 'N',
          },
        ],
      },
    ],
  };
}

async function subscribeAll(child: BenchChild, patient: string): Promise<string[]> {
  const specs: [string, string | undefined][] = [
    [CRITICAL_LAB_TOPIC, undefined],
    [CRITICAL_LAB_TOPIC, 'Observation?location=Location/ward-a'],
    [CRITICAL_LAB_TOPIC, 'Observation?location=Location/ward-b'],
    [CRITICAL_LAB_TOPIC, 'Observation?code=http://loinc.org|2823-3'],
    [CRITICAL_LAB_TOPIC, `Observation?patient=${patient}`],
    [`${TOPIC_BASE}/medication-order`, undefined],
    [`${TOPIC_BASE}/encounter-admit`, undefined],
    [`${TOPIC_BASE}/encounter-transfer`, undefined],
    [`${TOPIC_BASE}/encounter-discharge`, undefined],
    [`${TOPIC_BASE}/diagnostic-report-final`, undefined],
  ];
  const ids: string[] = [];
  // Two copies of each: 20 active subscriptions, 10 of them on the topic these writes can fire.
  for (let copy = 0; copy < 2; copy += 1) {
    for (const [topic, filter] of specs) ids.push((await createSseSubscription(child, topic, filter)).id);
  }
  return ids;
}

interface Result {
  label: string;
  writes: number;
  seconds: number;
  latencies: number[];
  events: number;
}

async function run(label: string, withSubscriptions: boolean): Promise<Result> {
  const child = await startChild('fhir');
  const census = await fhirRequest('GET', `${child.fhirBase}/Patient?_count=1`, child.token);
  const first = (census.body.entry as { resource: { id: string } }[] | undefined)?.[0]?.resource.id;
  const patient = `Patient/${first ?? 'unknown'}`;
  const subs = withSubscriptions ? await subscribeAll(child, patient) : [];
  const latencies: number[] = [];
  let writes = 0;
  let errors = 0;
  const started = now();
  const end = started + SECONDS * 1000;
  const worker = async (): Promise<void> => {
    while (now() < end && writes + errors < MAX_WRITES) {
      const t0 = now();
      const res = await fhirRequest(
        'POST',
        `${child.fhirBase}/Observation`,
        child.token,
        observation(writes, patient),
      );
      if (res.status === 201) {
        writes += 1;
        latencies.push(now() - t0);
      } else errors += 1;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (now() - started) / 1000;
  if (errors > 0) console.log(`  ${label}: ${errors} failed writes`);
  let events = 0;
  for (const id of subs) {
    const status = await fhirRequest('GET', `${child.fhirBase}/Subscription/${id}/$status`, child.token);
    const text = JSON.stringify(status.body);
    events += Number(/"events-since-subscription-start","valueString":"(\d+)"/.exec(text)?.[1] ?? 0);
  }
  await child.stop();
  return { label, writes, seconds, latencies: latencies.sort((a, b) => a - b), events };
}

async function main(): Promise<void> {
  console.log(`server-writes: ${SECONDS} s per run, ${IN_FLIGHT} POSTs in flight, on ${machine()}`);
  // Alternate the two configurations (twice each) so warm-up and background load hit both alike.
  const results: Result[] = [];
  for (let round = 1; round <= 2; round += 1) {
    results.push(await run(`no subscriptions (baseline) #${round}`, false));
    results.push(await run(`20 active subscriptions #${round}`, true));
  }
  console.log('\n| run | writes | writes/s | POST p50 | p99 | events logged |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.label} | ${fmt(r.writes, 0)} | ${fmt(r.writes / r.seconds, 0)} | ${fmt(percentile(r.latencies, 50), 2)} ms | ${fmt(percentile(r.latencies, 99), 2)} ms | ${fmt(r.events, 0)} |`,
    );
  }
  const rate = (r: Result): number => r.writes / r.seconds;
  const best = (withSubs: boolean): number =>
    Math.max(...results.filter((r) => r.events > 0 === withSubs).map(rate));
  console.log(
    `\nbest of 2: ${fmt(best(false), 0)} writes/s without subscriptions, ${fmt(best(true), 0)} with; ratio ${fmt(best(true) / best(false), 2)}×`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
