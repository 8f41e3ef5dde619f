// The whole app as a nurse meets it, in the browser host (the Electron runtime cannot be downloaded on
// this machine: `npm start` falls back to the browser host, and so do these figures). Three figures,
// printed with the command and the machine state, never asserted:
//
//   npm run bench:start                      cold start: `npm start` (no build) → sign-in screen painted
//                                            → (demo sign-in) → feed live; beside a bare node:http
//                                            server + Chromium page load measured in the same run
//   npm run bench:idle -- [--minutes=10]     signed in, ward quiet (simulator clock still): requests of
//                                            every kind (renderer → host, host → FHIR server), host CPU
//                                            (/proc) and renderer main-thread CPU (DevTools TaskDuration)
//   npm run bench:day -- [--hours=24]        the simulator at 60× (one simulated hour per real minute):
//                     [--rate=60]            host RSS and open descriptors, renderer heap (after a GC)
//                     [--host-gc]            and DOM nodes, per hour, against the first hour; --rate=120
//                                            --hours=48 shows two days in the same real time; --host-gc
//                                            adds the host's memory after a full GC in it, each hour;
//                     [--sim-start=HH:MM]    the simulated clock at the start (UTC; default: now), e.g.
//                                            02:00 puts the morning draw (05:00–07:30) in hours 4–6
import { spawn } from 'node:child_process';
import { chromium, type Browser, type Page } from '@playwright/test';
import {
  commandLine,
  flagArg,
  machine,
  machineState,
  now,
  numberArg,
  out,
  sleep,
  textArg,
  verdict,
} from './client-lib.ts';
import {
  cpuSeconds,
  feedLive,
  openFds,
  rendererFigures,
  rssMiB,
  signIn,
  startHost,
  type HostRequest,
} from './app-lib.ts';

const MODE = process.argv[2] ?? 'start';
const SCRIPT = { start: 'bench:start', idle: 'bench:idle', day: 'bench:day' }[MODE] ?? 'bench:start';

async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

async function newPage(browser: Browser): Promise<Page> {
  return browser.newPage({ viewport: { width: 1440, height: 900 } });
}

/** Baseline: spawn a bare node:http server and load its one-line page in the same browser. */
async function bareStart(browser: Browser): Promise<{ serverMs: number; pageMs: number }> {
  const t0 = now();
  const child = spawn(
    process.execPath,
    [
      '-e',
      "require('node:http').createServer((q,s)=>s.end('<!doctype html><h1>bare</h1>')).listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve) =>
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  const serverMs = now() - t0;
  const page = await newPage(browser);
  const p0 = now();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.getByRole('heading', { name: 'bare' }).waitFor();
  const pageMs = now() - p0;
  await page.close();
  child.kill();
  return { serverMs, pageMs };
}

async function coldStart(browser: Browser): Promise<void> {
  const bare = await bareStart(browser);
  const host = await startHost(60);
  try {
    const page = await newPage(browser);
    const pageStart = now();
    const { screenAt, signedInAt } = await signIn(page, host.launchUrl());
    const liveAt = await feedLive(page);
    const startToScreen = screenAt - host.spawnedAt;
    out(
      `bare baseline: node:http spawn → listening ${bare.serverMs.toFixed(0)} ms; Chromium load of its page ${bare.pageMs.toFixed(0)} ms; total ${(bare.serverMs + bare.pageMs).toFixed(0)} ms`,
    );
    out(
      `npm start (browser host, --no-build) → host listening:   ${(host.readyAt - host.spawnedAt).toFixed(0)} ms`,
    );
    out(`host listening → sign-in screen painted (page load):      ${(screenAt - pageStart).toFixed(0)} ms`);
    out(
      `npm start → sign-in screen:                               ${startToScreen.toFixed(0)} ms (${(startToScreen / (bare.serverMs + bare.pageMs)).toFixed(1)}× the bare baseline)`,
    );
    out(
      `sign-in screen → signed in (demo sign-in popup, automated): ${(signedInAt - screenAt).toFixed(0)} ms`,
    );
    out(
      `signed in → feed live (subscriptions live, feed on screen):  ${(liveAt - signedInAt).toFixed(0)} ms`,
    );
    out(
      `npm start → feed live, whole:                              ${(liveAt - host.spawnedAt).toFixed(0)} ms`,
    );
    out('Electron: its runtime cannot be downloaded here (offline install), so no Electron figure.');
  } finally {
    await host.stop();
  }
}

function describeRequests(requests: readonly HostRequest[]): string {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const path = r.path.replace(/\/[A-Za-z0-9\-.]{16,}/g, '/{id}');
    const key = `${r.direction} ${r.method} ${path}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].map(([k, n]) => `${n}× ${k}`).join('; ') || 'none';
}

async function idle(browser: Browser): Promise<void> {
  const minutes = numberArg('minutes', 10);
  const host = await startHost(0);
  try {
    const page = await newPage(browser);
    const pageRequests: string[] = [];
    await signIn(page, host.launchUrl());
    await feedLive(page);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await sleep(10_000); // settle: the first reads after sign-in are not idle
    page.on('request', (r) => pageRequests.push(`${r.method()} ${new URL(r.url()).pathname}`));
    const from = host.requests.length;
    const t0 = now();
    const cpu0 = cpuSeconds(host.pid);
    const r0 = await rendererFigures(cdp);
    out(`idle window: ${minutes} min, signed in as a Ward A nurse, simulator clock still (--sim-rate 0)`);
    for (let minute = 1; minute <= minutes; minute += 1) {
      await sleep(60_000);
      const elapsed = (now() - t0) / 1000;
      const host1 = cpuSeconds(host.pid);
      const r1 = await rendererFigures(cdp);
      out(
        `  minute ${minute}: host CPU ${(((host1 - cpu0) / elapsed) * 100).toFixed(2)} %, renderer main thread ${(((r1.taskSeconds - r0.taskSeconds) / elapsed) * 100).toFixed(2)} %, ` +
          `host requests so far ${host.requests.length - from}, page requests so far ${pageRequests.length}`,
      );
    }
    const elapsed = (now() - t0) / 1000;
    const hostCpu = ((cpuSeconds(host.pid) - cpu0) / elapsed) * 100;
    const r1 = await rendererFigures(cdp);
    const rendererCpu = ((r1.taskSeconds - r0.taskSeconds) / elapsed) * 100;
    const requests = host.requests.slice(from);
    out(
      `host requests in the window (in = served by the host or its embedded FHIR server, out = made by it): ${describeRequests(requests)}`,
    );
    out(`page requests in the window: ${pageRequests.length === 0 ? 'none' : pageRequests.join('; ')}`);
    out(`baseline: a bare idle process is 0 %; heartbeats travel inside the open streams (no request)`);
    out(
      `  → CPU ${verdict(hostCpu <= 1 && rendererCpu <= 1)} (≤ 1 %: host ${hostCpu.toFixed(2)} %, renderer ${rendererCpu.toFixed(2)} % of one core)`,
    );
    out(
      `  → requests ${verdict(requests.length === 0 && pageRequests.length === 0)} (none besides heartbeats)`,
    );
  } finally {
    await host.stop();
  }
}

async function day(browser: Browser): Promise<void> {
  const hours = numberArg('hours', 24);
  const rate = numberArg('rate', 60);
  const hourMs = 3_600_000 / rate;
  const simStart = textArg('sim-start');
  const host = await startHost(rate, { simStart, logReturns: true });
  try {
    const page = await newPage(browser);
    await signIn(page, host.launchUrl());
    await feedLive(page);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    out(
      `the simulator at ${rate}×${simStart ? ` from ${simStart} UTC` : ''}: ${hours} simulated hours = ${((hours * hourMs) / 60_000).toFixed(0)} real minutes; sampled at the end of each hour (renderer after a GC)`,
    );
    const hostGc = flagArg('host-gc');
    out(
      `hour  host RSS MiB  host fds  renderer heap MiB  DOM nodes  alerts shown${hostGc ? '  host after a GC: RSS / JS heap / V8 held (its new space) / external MiB' : ''}`,
    );
    const samples: Array<{ rss: number; fds: number; heap: number }> = [];
    let reported = 0;
    for (let hour = 1; hour <= hours; hour += 1) {
      await sleep(hourMs);
      const figures = await rendererFigures(cdp, true);
      const label = await page
        .locator('.feed-list')
        .getAttribute('aria-label')
        .catch(() => null);
      const alerts = /\((\d+) shown\)/.exec(label ?? '')?.[1] ?? '?';
      const sample = { rss: rssMiB(host.pid), fds: openFds(host.pid), heap: figures.heapMiB };
      samples.push(sample);
      // With --host-gc, after the RSS as the host left it, a full GC in the host tells its JS heap from
      // native memory; the next hour's RSS then follows that GC (so the default run does not do it).
      const collected = hostGc ? await host.memory() : null;
      out(
        `${String(hour).padStart(4)}  ${sample.rss.toFixed(1).padStart(12)}  ${String(sample.fds).padStart(8)}  ${sample.heap.toFixed(1).padStart(17)}  ${String(figures.nodes).padStart(9)}  ${alerts.padStart(12)}` +
          (collected
            ? `  ${collected.rss.toFixed(1)} / ${collected.heapUsed.toFixed(1)} / ${collected.heapTotal.toFixed(1)} (new space ${collected.newSpace.toFixed(1)}) / ${collected.external.toFixed(1)}`
            : ''),
      );
      for (const returned of host.memoryReturns.slice(reported)) {
        out(
          `      the host returned memory kept after a busy period: RSS ${returned.rssBefore} → ${returned.rssAfter} MiB, a ${returned.pauseMs} ms pause`,
        );
      }
      reported = host.memoryReturns.length;
    }
    const first = samples[0];
    const last = samples.at(-1);
    const peak = samples.reduce((a, b) => (b.rss > a.rss ? b : a), samples[0] ?? { rss: 0, fds: 0, heap: 0 });
    const pauses = host.memoryReturns.map((r) => r.pauseMs);
    out(
      `host RSS peak ${peak.rss.toFixed(1)} MiB (hour ${samples.indexOf(peak) + 1}); memory returned ${pauses.length} times` +
        (pauses.length > 0 ? `, pauses ${Math.min(...pauses)}–${Math.max(...pauses)} ms` : ''),
    );
    if (first && last) {
      const rssGrowth = (last.rss / first.rss - 1) * 100;
      const heapGrowth = (last.heap / first.heap - 1) * 100;
      out(
        `from hour 1 to hour ${hours}: host RSS ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)} %, renderer heap ${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(1)} %, host fds ${first.fds} → ${last.fds}`,
      );
      out(
        `  → memory ${verdict(rssGrowth <= 10 && heapGrowth <= 10)} (≤ +10 % from the first hour); handles ${verdict(last.fds <= first.fds)} (no growth)`,
      );
    }
  } finally {
    await host.stop();
  }
}

async function main(): Promise<void> {
  out(`# app ${MODE} — ${machine()}, Debian Chromium headless, browser host`);
  out(`command: ${commandLine(SCRIPT, 1)}`);
  out(`machine state before: ${machineState()}`);
  const browser = await launchBrowser();
  try {
    if (MODE === 'idle') await idle(browser);
    else if (MODE === 'day') await day(browser);
    else await coldStart(browser);
  } finally {
    await browser.close();
  }
  out(`machine state after: ${machineState()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
