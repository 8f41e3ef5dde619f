// `npm run server -- --port N --db PATH --simulate [--rate R] [--seed S] [--token-ttl SECONDS]
// [--heartbeat SECONDS] [--burst N] [--public-origin http://127.0.0.1:P] [--log-level L]
// [--backend-client REG.json]... [--paused] [--max-streams-per-grant N] [--ws-bind-timeout SECONDS]
// [--max-connections N]`: runs the embedded server standalone for demos (every flag: docs/server.md).
// SIGINT/SIGTERM close streams and the database cleanly; every committed event is already durable (WAL,
// synchronous FULL). SIGUSR1 pauses the simulator and SIGUSR2 resumes it, so a test run can let the
// monitor settle and compare (`--paused` starts it paused).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { BackendClientRegistration } from './auth/index.ts';
import pino from 'pino';
import { at, field, records } from '../shared/fhir-json.ts';
import { isRoleName } from './base/roles.ts';
import { DEMO_USERS } from './demo-users.ts';
import { startServer } from './server.ts';

function positive(name: string, raw: string | undefined, fallback: number | undefined): number | undefined {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} must be a non-negative number`);
    process.exit(2);
  }
  return value;
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * A registration file written by `npm run monitor -- --generate-key`: client id, public JWKS, wards, and
 * optionally the client's `role` (base/roles.ts; default `monitor`) and `allowedScopes` (its own ceiling,
 * within the role's). Both are honoured: a ward display registered for `system/Observation.rs` gets no more.
 */
function readBackendClient(path: string): BackendClientRegistration {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(
      `--backend-client ${path}: not readable JSON (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
  const clientId = field(parsed, 'clientId');
  const keys = at(parsed, 'jwks', 'keys');
  const labels = field(parsed, 'securityLabels');
  const role = field(parsed, 'role');
  const allowedScopes = field(parsed, 'allowedScopes');
  if (typeof clientId !== 'string' || !Array.isArray(keys) || !isStringList(labels)) {
    throw new Error(`--backend-client ${path}: needs clientId, jwks.keys and securityLabels`);
  }
  if (role !== undefined && !isRoleName(role)) throw new Error(`--backend-client ${path}: unknown role`);
  if (allowedScopes !== undefined && !isStringList(allowedScopes)) {
    throw new Error(`--backend-client ${path}: allowedScopes must be a list of system/ scopes`);
  }
  return {
    kind: 'backend',
    clientId,
    jwks: { keys: records(keys) },
    securityLabels: labels,
    ...(role === undefined ? {} : { role }),
    ...(allowedScopes === undefined ? {} : { allowedScopes }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      db: { type: 'string', default: 'alert-monitor-server.sqlite' },
      simulate: { type: 'boolean', default: false },
      rate: { type: 'string' },
      seed: { type: 'string' },
      'token-ttl': { type: 'string' },
      heartbeat: { type: 'string' },
      burst: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'backend-client': { type: 'string', multiple: true },
      'public-origin': { type: 'string' },
      'max-streams-per-grant': { type: 'string' },
      'ws-bind-timeout': { type: 'string' },
      'max-connections': { type: 'string' },
      paused: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const logger = pino({ level: values['log-level'] ?? 'info' }, pino.destination(2));
  const maxStreams = positive('max-streams-per-grant', values['max-streams-per-grant'], undefined);
  const maxConnections = positive('max-connections', values['max-connections'], undefined);
  const bindTimeout = positive('ws-bind-timeout', values['ws-bind-timeout'], undefined);
  const server = await startServer({
    port: positive('port', values.port, 8080) ?? 8080,
    dbPath: values.db ?? 'alert-monitor-server.sqlite',
    accessTokenTtlSeconds: positive('token-ttl', values['token-ttl'], 3600),
    heartbeatSeconds: positive('heartbeat', values.heartbeat, 30),
    backendClients: (values['backend-client'] ?? []).map(readBackendClient),
    ...(maxStreams === undefined ? {} : { maxStreamsPerGrant: maxStreams }),
    ...(maxConnections === undefined ? {} : { maxConnections }),
    ...(bindTimeout === undefined ? {} : { websocketBindTimeoutMs: bindTimeout * 1000 }),
    simulate: values.simulate
      ? {
          autoStart: !values.paused,
          rate: positive('rate', values.rate, 1) ?? 1,
          seed: positive('seed', values.seed, 1) ?? 1,
          pharmacyDemo: true,
        }
      : false,
    logger,
    ...(values['public-origin'] ? { publicOrigin: values['public-origin'] } : {}),
  });
  const burst = positive('burst', values.burst, 0) ?? 0;
  if (burst > 0 && server.simulator) server.simulator.burst(burst);
  console.log(`FHIR base URL:  ${server.fhirBase}`);
  console.log(
    `Demo sign-in:   ${server.origin}/auth/authorize (via a SMART client; users: ${DEMO_USERS.map((u) => u.id).join(', ')})`,
  );
  console.log(`SMART config:   ${server.fhirBase}/.well-known/smart-configuration`);

  const simulator = server.simulator;
  if (simulator) {
    // One stdout line per change, with the count so far: nothing is written between "paused" and
    // "resumed" (a checker can compare the two counts).
    const report = (what: string) =>
      console.log(`simulator ${what} (${simulator.counts().observations} observations so far)`);
    process.on('SIGUSR1', () => {
      simulator.stop();
      report('paused');
    });
    process.on('SIGUSR2', () => {
      simulator.start();
      report('resumed');
    });
    if (values.paused) report('paused');
  }

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
