// The headless monitor: the client core without any UI, for unattended ward servers and soak tests.
// It signs in with SMART Backend Services (client_credentials + private_key_jwt), subscribes, and
// writes each accepted event (after its durable commit) as one JSON line (fields: docs/headless-monitor.md).
// It signs in again after a sign-out, and exits non-zero with the reason when it cannot go on
// (headless.ts): 1 = sign-in failed or refused, 2 = usage, 3 = every alert stream stopped for good.
//
//   npm run monitor -- --generate-key ./ward-a --client-id ward-a-display --wards ward-a
//   npm run server  -- --simulate --backend-client ./ward-a.registration.json
//   npm run monitor -- --fhir http://127.0.0.1:8080/fhir --client-id ward-a-display --key ./ward-a.private.jwk.json --jsonl events.jsonl
import type { JsonWebKey } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import { DatabaseFileError } from '../../lib/sqlite.ts';
import { isLoopbackUrl } from '../auth/discovery.ts';
import { acquireInstanceLock } from '../instance-lock.ts';
import { createLogger } from '../log.ts';
import { CRITICAL_LAB_TOPIC } from '../monitor/topics.ts';
import { openClientStore, type ClientStore } from '../store/client-store.ts';
import { EXIT, startHeadless } from './headless.ts';

const USAGE = `usage:
  npm run monitor -- --fhir URL --client-id ID --key PRIVATE_JWK [--db PATH] [--jsonl OUT] [--topic URL]... [--heartbeat S] [--scopes "..."]
  npm run monitor -- --generate-key PREFIX --client-id ID --wards ward-a[,ward-b] [--alg ES384|RS384]`;

const { values } = parseArgs({
  options: {
    fhir: { type: 'string' },
    'client-id': { type: 'string' },
    key: { type: 'string' },
    db: { type: 'string', default: 'monitor-headless.sqlite' },
    jsonl: { type: 'string' },
    topic: { type: 'string', multiple: true },
    heartbeat: { type: 'string', default: '30' },
    scopes: { type: 'string', default: 'system/Observation.rs system/Patient.rs system/Subscription.cruds' },
    'generate-key': { type: 'string' },
    wards: { type: 'string' },
    alg: { type: 'string', default: 'ES384' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

function fail(message: string): never {
  console.error(message);
  console.error(USAGE);
  process.exit(EXIT.usage);
}

async function generateKey(prefix: string, clientId: string, wards: string[], alg: string): Promise<void> {
  if (alg !== 'ES384' && alg !== 'RS384') fail('--alg must be ES384 or RS384');
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${clientId}-${Date.now().toString(36)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  mkdirSync(dirname(resolve(prefix)), { recursive: true });
  writeFileSync(`${prefix}.private.jwk.json`, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(
    `${prefix}.registration.json`,
    `${JSON.stringify({ clientId, jwks: { keys: [publicJwk] }, securityLabels: wards }, null, 2)}\n`,
  );
  console.log(
    `wrote ${prefix}.private.jwk.json (keep private) and ${prefix}.registration.json (give to the server)`,
  );
}

async function run(): Promise<void> {
  const fhirBase = values.fhir ?? fail('--fhir is required');
  const clientId = values['client-id'] ?? fail('--client-id is required');
  const keyPath = values.key ?? fail('--key is required');
  let privateKey: JsonWebKey & { kid?: string };
  try {
    privateKey = JSON.parse(readFileSync(keyPath, 'utf8')) as JsonWebKey & { kid?: string };
  } catch (error) {
    fail(`--key ${keyPath}: not a readable JWK (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!privateKey.kid) fail(`--key ${keyPath}: the JWK needs a "kid"`);
  const heartbeatSeconds = Number(values.heartbeat);
  if (!Number.isInteger(heartbeatSeconds) || heartbeatSeconds < 1)
    fail('--heartbeat must be a positive integer');

  const logger = createLogger('headless-monitor', process.env['LOG_LEVEL'] ?? 'info');
  const dbPath = resolve(values.db ?? 'monitor-headless.sqlite');
  mkdirSync(dirname(dbPath), { recursive: true });
  const releaseLock = acquireInstanceLock(dirname(dbPath));
  let store: ClientStore;
  try {
    store = openClientStore(dbPath);
  } catch (error) {
    releaseLock();
    if (!(error instanceof DatabaseFileError)) throw error;
    // Restarting cannot help: its own code, so a supervisor can be told not to loop on it.
    console.error(`headless monitor: ${error.message}`);
    process.exit(EXIT.database);
  }
  // Written synchronously: a line is on disk before the next step (the notified mark, the next commit),
  // so after a kill -9 the file is a faithful witness for the soak checker.
  const out = values.jsonl ? openSync(values.jsonl, 'a') : null;
  const line = (value: unknown) => {
    if (out !== null) writeSync(out, `${JSON.stringify(value)}\n`);
  };

  const kid = privateKey.kid;
  const headless = await startHeadless({
    fhirBase,
    clientId,
    privateKey: { ...privateKey, kid },
    scopes: (values.scopes ?? '').split(/\s+/).filter(Boolean),
    topics: (values.topic ?? [CRITICAL_LAB_TOPIC]).map((topic) => ({ topic, filters: [], heartbeatSeconds })),
    store,
    allowInsecureLoopback: isLoopbackUrl(fhirBase),
    logger,
    line,
  });
  logger.info({ fhirBase, db: dbPath }, 'headless monitor running');
  // Keeps the process alive whatever the streams do: it ends only through `exited` below, never by an
  // event loop that drained (which once looked like a clean exit 0 while alerts had stopped).
  const keepAlive = setInterval(() => undefined, 60_000);
  const stop = () => void headless.stop('stopped by a signal');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const { code, reason } = await headless.exited;
  clearInterval(keepAlive);
  if (code !== EXIT.stopped) console.error(`headless monitor: ${reason}`);
  if (out !== null) closeSync(out);
  store.close();
  releaseLock();
  process.exit(code);
}

if (values.help) {
  console.log(USAGE);
} else if (values['generate-key']) {
  const clientId = values['client-id'] ?? fail('--client-id is required with --generate-key');
  const wards = (values.wards ?? fail('--wards is required with --generate-key')).split(',').filter(Boolean);
  await generateKey(values['generate-key'], clientId, wards, values.alg ?? 'ES384');
} else {
  await run().catch((error: unknown) => {
    console.error(`headless monitor: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(EXIT.signInFailed);
  });
}
