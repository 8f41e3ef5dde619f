// The local demo on its own: the embedded server with a still simulator in a temp data directory.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src-main/core/log.ts';
import { startLocalDemo } from '../../../src-main/local/local-demo.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('local demo', () => {
  it('a kick still pending when the demo closes does not write to the closed server', async () => {
    const demo = await startLocalDemo({
      dataDir: mkdtempSync(join(tmpdir(), 'local-demo-')),
      logger: silentLogger(),
      simulationRate: 0,
    });
    // Fake timers: the test, not the clock, decides when "half a second later" is (after close).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    demo.kick();
    await demo.close();
    expect(() => vi.runAllTimers()).not.toThrow();
  });

  it('comes back on the same FHIR base in the same data directory (alerts belong to an identity on a base)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-demo-'));
    const first = await startLocalDemo({ dataDir, logger: silentLogger(), simulationRate: 0 });
    const base = first.server.fhirBase;
    await first.close();
    const second = await startLocalDemo({ dataDir, logger: silentLogger(), simulationRate: 0 });
    try {
      expect(second.server.fhirBase).toBe(base);
    } finally {
      await second.close();
    }
  });
});
