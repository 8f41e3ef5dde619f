// The interop run's bookkeeping: named checks that pass or fail with a reason, measured latencies,
// condition waits with a deadline (never a fixed sleep standing in for a condition), and the report.

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export class Report {
  readonly checks: CheckResult[] = [];
  readonly latencies: Array<{ name: string; ms: number }> = [];

  /** Run one check; a thrown error fails it with the error's message, and the run goes on. */
  async check(name: string, run: () => Promise<string>): Promise<boolean> {
    const started = Date.now();
    try {
      const detail = await run();
      this.checks.push({ name, ok: true, detail });
      console.log(`  ✓ ${name} (${Date.now() - started} ms)${detail ? ` — ${detail}` : ''}`);
      return true;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.checks.push({ name, ok: false, detail });
      console.log(`  ✗ ${name} — ${detail}`);
      return false;
    }
  }

  latency(name: string, ms: number): void {
    this.latencies.push({ name, ms });
  }

  print(): void {
    if (this.latencies.length > 0) {
      console.log('\nLatencies');
      for (const { name, ms } of this.latencies) console.log(`  ${name}: ${ms} ms`);
    }
    const passed = this.checks.filter((c) => c.ok).length;
    console.log(`\n${passed} passed, ${this.checks.length - passed} failed`);
  }

  get failed(): number {
    return this.checks.filter((c) => !c.ok).length;
  }
}

/** Wait for a condition, polling; throws with `what` after the deadline. Returns when it held. */
export async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now();
}

/** Poll an async condition (the app's API) until it holds. */
export async function untilAsync(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  let last = false;
  const poll = async () => {
    last = await condition();
  };
  await poll();
  const deadline = Date.now() + timeoutMs;
  while (!last) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
    await poll();
  }
}

export function expectThat(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}
