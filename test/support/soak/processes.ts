// Child processes of a soak run (the server, the headless monitor, the key generator): waiting for a
// line they print, killing them as a crash would, stopping them as an operator would.
import type { ChildProcess } from 'node:child_process';

/** The first match of `pattern` in the child's stdout; rejects on exit or after `timeoutMs`. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${pattern}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const match = buffer.match(pattern);
      if (match) {
        cleanup();
        resolveLine(match[0]);
      }
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`process exited while waiting for ${pattern}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** kill -9: the process gets no chance to finish anything. */
export function killHard(child: ChildProcess | null): Promise<void> {
  if (!child || exited(child)) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

/** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
export function stopGently(child: ChildProcess | null, timeoutMs = 5_000): Promise<void> {
  if (!child || exited(child)) return Promise.resolve();
  return new Promise((r) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      r();
    });
    child.kill('SIGTERM');
  });
}
