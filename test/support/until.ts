// Waiting in tests: poll a condition until it holds, with a generous deadline that only bounds a broken
// run (a loaded 2-core machine must not fail a correct one). Never a fixed sleep; the failure names what
// was awaited.

/** Poll `check` (sync or async) until it gives a truthy value, and return that value. */
export async function until<T>(
  check: () => Promise<T | null | false | undefined> | T | null | false | undefined,
  what: string,
  timeoutMs = 60_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
