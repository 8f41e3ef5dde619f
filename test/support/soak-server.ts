// The server side of the soak checker: the embedded server (real startServer, real SQLite file) with a
// hand-driven simulator, commanded over stdin with one JSON object per line. It is the process the
// checker kills with SIGKILL and restarts on the same port and database.
//
//   node test/support/soak-server.ts --port P --db PATH --public-origin http://127.0.0.1:Q
//     --token-ttl S --heartbeat S --backend-client REG.json --seed N
// stdin:  {"op":"burst","draws":3} | {"op":"critical","ward":"ward-a"}
// stdout: "ready <fhirBase>" once, then one "ok <op>" per command.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { BackendClientRegistration } from '../../src-main/server/auth/index.ts';
import { startServer } from '../../src-main/server/server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    db: { type: 'string' },
    'public-origin': { type: 'string' },
    'token-ttl': { type: 'string', default: '60' },
    heartbeat: { type: 'string', default: '2' },
    'backend-client': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'log-level': { type: 'string', default: 'debug' },
  },
  strict: true,
});

const registration = JSON.parse(readFileSync(values['backend-client'] ?? '', 'utf8')) as Omit<
  BackendClientRegistration,
  'kind'
>;
const logger = pino({ level: values['log-level'] ?? 'debug' }, pino.destination(2));
const server = await startServer({
  port: Number(values.port),
  dbPath: values.db ?? '',
  accessTokenTtlSeconds: Number(values['token-ttl']),
  heartbeatSeconds: Number(values.heartbeat),
  // Stream keepalive comments often, so a stalled proxy is noticed by the client's idle timer only.
  keepaliveMs: 1_000,
  maintenanceMs: 60_000,
  backendClients: [{ ...registration, kind: 'backend' }],
  simulate: { seed: Number(values.seed), autoStart: false, criticalFraction: 0.05, logger },
  logger,
  ...(values['public-origin'] ? { publicOrigin: values['public-origin'] } : {}),
});
process.stdout.write(`ready ${server.fhirBase}\n`);

const rl = createInterface({ input: process.stdin });
rl.on('line', (raw) => {
  let op = 'unknown';
  try {
    const command = JSON.parse(raw) as { op?: string; draws?: number; ward?: string };
    op = command.op ?? 'unknown';
    if (command.op === 'burst') server.simulator?.burst(Math.max(0, Math.min(20, command.draws ?? 1)));
    else if (command.op === 'critical') server.simulator?.emitCriticalPotassium(command.ward ?? 'ward-a');
    process.stdout.write(`ok ${op}\n`);
  } catch (error) {
    process.stdout.write(`error ${op} ${error instanceof Error ? error.message : String(error)}\n`);
  }
});
rl.on('close', () => {
  void server.close().then(() => process.exit(0));
});
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
