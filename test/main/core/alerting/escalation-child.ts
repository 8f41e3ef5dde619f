// Child process of the escalation crash tests: a Ward A workstation (the real monitor service, its own
// store and ward identity) against the parent's embedded server. With HANG_ON_STEP_PUT=1 it stops dead
// right after its first escalation Task write reached the server (the answer is never processed) and
// says `step-put <status>` on stdout, so the parent can kill it with SIGKILL exactly mid-step. The
// transport is the real `fetch`; the wrapper only holds that one answer back.
import { readWardKey } from '../../../../src-main/app/ward-identity.ts';
import type { EscalationPolicy } from '../../../../src-main/core/alerting/escalation-policy.ts';
import { live, startWorkstation } from '../../../support/workstations.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} missing`);
  return value;
};

if (process.env['HANG_ON_STEP_PUT'] === '1') {
  const realFetch = globalThis.fetch;
  let held = false;
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!held && init?.method === 'PUT' && /\/Task\/esc-/.test(url)) {
      held = true;
      process.stdout.write(`step-put ${response.status}\n`);
      return new Promise<Response>(() => undefined);
    }
    return response;
  };
}

const policy = JSON.parse(env('POLICY')) as EscalationPolicy;
const ws = startWorkstation({
  name: env('NAME'),
  dataDir: env('DATA_DIR'),
  fhirBase: env('FHIR_BASE'),
  policy,
  tickMs: 200,
  ward: { ward: 'ward-a', clientId: env('CLIENT_ID'), key: readWardKey(env('KEY_FILE')) },
});
await live(ws);
process.stdout.write('ready\n');
const keepAlive = setInterval(() => undefined, 60_000);
process.on('SIGTERM', () => {
  clearInterval(keepAlive);
  void ws.close().then(() => process.exit(0));
});
