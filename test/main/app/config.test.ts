// The deployment configuration file: where it is found, what a valid one produces, and that a bad one
// is an error naming the field (never a silent fall-back to the demo). Real files in a temp directory.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadDeployment, systemConfigPath } from '../../../src-main/app/config.ts';
import { LOCAL_DEMO_MODE } from '../../../src-main/app/mode.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'config-'));

function file(content: unknown, name = 'config.json', at = dir()): string {
  const path = join(at, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function keyFile(at: string, mode = 0o600): Promise<string> {
  const { privateKey } = await generateKeyPair('ES384', { extractable: true });
  const path = join(at, 'ward-a.private.jwk.json');
  writeFileSync(path, JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES384' }));
  chmodSync(path, mode);
  return path;
}

const HOSPITAL = {
  name: 'St. Elsewhere',
  fhirBase: 'https://fhir.example.org/r4/',
  clientId: 'alert-monitor',
  redirectPort: 48765,
  authorizationOrigins: ['https://login.example.org'],
  streamOrigins: ['wss://stream.example.org'],
};
const none = join(dir(), 'absent.json');

describe('locating the configuration', () => {
  it('with none anywhere, runs the zero-config local demo', () => {
    expect(loadDeployment({ argv: [], env: {}, systemPath: none })).toBe(LOCAL_DEMO_MODE);
  });

  it('prefers --config, then ALERT_MONITOR_CONFIG, then the system-wide file', () => {
    const system = file({ servers: [{ ...HOSPITAL, name: 'system' }] });
    const fromEnv = file({ servers: [{ ...HOSPITAL, name: 'env' }] });
    const fromArg = file({ servers: [{ ...HOSPITAL, name: 'arg' }] });
    const name = (mode: ReturnType<typeof loadDeployment>) =>
      mode.kind === 'servers' ? mode.servers[0]?.name : null;
    expect(name(loadDeployment({ argv: [], env: {}, systemPath: system }))).toBe('system');
    expect(
      name(loadDeployment({ argv: [], env: { ALERT_MONITOR_CONFIG: fromEnv }, systemPath: system })),
    ).toBe('env');
    const both = { ALERT_MONITOR_CONFIG: fromEnv };
    expect(
      name(loadDeployment({ argv: ['electron', '.', '--config', fromArg], env: both, systemPath: system })),
    ).toBe('arg');
    expect(name(loadDeployment({ argv: [`--config=${fromArg}`], env: {}, systemPath: system }))).toBe('arg');
    expect(systemConfigPath('linux')).toBe('/etc/fhir-alert-monitor/config.json');
  });

  it('a named file that is missing is an error, not the demo', () => {
    expect(() => loadDeployment({ argv: ['--config', none], env: {}, systemPath: none })).toThrow(
      /Configuration .*absent\.json: cannot be read \(ENOENT\)/,
    );
    expect(() => loadDeployment({ argv: [], env: { ALERT_MONITOR_CONFIG: none } })).toThrow(ConfigError);
    expect(() => loadDeployment({ argv: ['--config'], env: {} })).toThrow(/--config needs a file name/);
  });
});

describe('a valid configuration', () => {
  it('produces the servers mode with every setting IT gave', () => {
    const at = dir();
    const rules = file({}, 'rules.json', at);
    const mode = loadDeployment({
      argv: [
        '--config',
        file(
          {
            servers: [HOSPITAL],
            privacyDefault: true,
            readBackHours: 8,
            escalation: { ackTimeoutMinutes: 5, targetMinutes: 20, repeatMinutes: 3 },
            rulesFile: 'rules.json',
          },
          'config.json',
          at,
        ),
      ],
      env: {},
    });
    expect(mode).toMatchObject({
      kind: 'servers',
      servers: [{ ...HOSPITAL, fhirBase: 'https://fhir.example.org/r4' }],
      workstation: { kind: 'personal' },
      privacyDefault: true,
      readBackHours: 8,
      escalation: { ackTimeoutMinutes: 5, targetMinutes: 20, repeatMinutes: 3 },
      rulesFile: rules,
    });
  });

  it('produces a ward workstation with its identity and key file', async () => {
    const at = dir();
    const key = await keyFile(at);
    const mode = loadDeployment({
      argv: [
        '--config',
        file(
          {
            servers: [HOSPITAL],
            workstation: {
              mode: 'ward',
              ward: 'ward-a',
              identity: { clientId: 'ward-a-ws', privateKeyFile: key },
            },
          },
          'c.json',
          at,
        ),
      ],
      env: {},
    });
    expect(mode.workstation).toEqual({
      kind: 'ward',
      identity: { clientId: 'ward-a-ws', ward: 'ward-a', privateKeyFile: key },
    });
  });

  it('refuses a read-back window beyond three days or below none, naming the field', () => {
    for (const readBackHours of [-1, 73, '12'])
      expect(() =>
        loadDeployment({ argv: ['--config', file({ servers: [HOSPITAL], readBackHours })], env: {} }),
      ).toThrow(/Configuration .*: readBackHours: /);
    expect(
      loadDeployment({ argv: ['--config', file({ servers: [HOSPITAL], readBackHours: 0 })], env: {} }),
    ).toMatchObject({ readBackHours: 0 });
  });

  it('carries the escalation policy: steps by role, the fail-safe contact list', () => {
    const policy = {
      steps: [
        { role: 'nurse', afterMinutes: 5 },
        { role: 'charge-nurse', afterMinutes: 5 },
        { role: 'fail-safe', afterMinutes: 10 },
      ],
      failSafeContacts: [{ name: 'House supervisor', phone: 'ext. 4400' }],
    };
    const mode = loadDeployment({
      argv: ['--config', file({ servers: [HOSPITAL], escalation: { ackTimeoutMinutes: 5, policy } })],
    });
    expect(mode.escalation).toEqual({ ackTimeoutMinutes: 5, policy });
  });

  it('may turn escalation to people off, even in the local demo (policy null)', () => {
    const mode = loadDeployment({
      argv: ['--config', file({ localDemo: { enabled: true }, escalation: { policy: null } })],
    });
    expect(mode.escalation).toEqual({ policy: null });
  });

  it('asks for the local demo only when it says so', () => {
    const demo = loadDeployment({
      argv: ['--config', file({ localDemo: { enabled: true, simulationRate: 0 } })],
    });
    expect(demo).toMatchObject({ kind: 'local-demo', simulationRate: 0 });
    const off = loadDeployment({
      argv: ['--config', file({ localDemo: { enabled: false }, servers: [HOSPITAL] })],
    });
    expect(off.kind).toBe('servers');
  });
});

describe('a bad configuration names the field', () => {
  const refused = (content: unknown) => () => loadDeployment({ argv: ['--config', file(content)] });
  it.each([
    ['{ "servers": [', /not valid JSON/],
    [{ servers: [{ ...HOSPITAL, fhirBase: 'http://fhir.example.org/r4' }] }, /servers\.0\.fhirBase: https/],
    [
      { servers: [{ ...HOSPITAL, fhirBase: 'https://fhir.example.org/r4?x=1' }] },
      /servers\.0\.fhirBase: an absolute/,
    ],
    [{ servers: [{ ...HOSPITAL, redirectPort: 80 }] }, /servers\.0\.redirectPort/],
    [
      { servers: [{ ...HOSPITAL, streamOrigins: ['https://stream.example.org/path'] }] },
      /servers\.0\.streamOrigins\.0: an origin/,
    ],
    [{ servers: [{ ...HOSPITAL, clientid: 'typo' }] }, /servers\.0: Unrecognized key/],
    [{ escalation: { ackTimeoutMinutes: 0 } }, /escalation\.ackTimeoutMinutes/],
    [
      {
        escalation: {
          policy: {
            steps: [
              { role: 'fail-safe', afterMinutes: 5 },
              { role: 'charge-nurse', afterMinutes: 5 },
            ],
            failSafeContacts: [{ name: 'House supervisor', phone: 'ext. 4400' }],
          },
        },
      },
      /escalation\.policy\.steps: the last step, and only the last, must be the fail-safe step/,
    ],
    [
      {
        escalation: {
          policy: { steps: [{ role: 'fail-safe', afterMinutes: 5 }], failSafeContacts: [] },
        },
      },
      /escalation\.policy\.failSafeContacts/,
    ],
    [
      {
        escalation: {
          ackTimeoutMinutes: 3,
          policy: {
            steps: [
              { role: 'nurse', afterMinutes: 5 },
              { role: 'fail-safe', afterMinutes: 5 },
            ],
            failSafeContacts: [{ name: 'House supervisor', phone: 'ext. 4400' }],
          },
        },
      },
      /escalation\.ackTimeoutMinutes: must equal the first step/,
    ],
    [
      {
        escalation: {
          policy: {
            steps: [
              { role: 'Charge Nurse', afterMinutes: 5 },
              { role: 'fail-safe', afterMinutes: 5 },
            ],
            failSafeContacts: [{ name: 'House supervisor', phone: 'ext. 4400' }],
          },
        },
      },
      /escalation\.policy\.steps\.0\.role: a care role code/,
    ],
    [
      { workstation: { mode: 'ward', ward: 'ward-a', identity: { clientId: 'w', privateKeyFile: 'k' } } },
      /^Configuration .*: servers: a ward workstation needs/,
    ],
    [
      { servers: [HOSPITAL], workstation: { mode: 'ward', ward: 'ward-a', identity: { clientId: 'w' } } },
      /workstation\.identity\.privateKeyFile: required/,
    ],
    [{ rulesFile: '/nonexistent/rules.json' }, /rulesFile: \/nonexistent\/rules\.json does not exist/],
  ])('%j', (content, message) => {
    expect(refused(content)).toThrow(ConfigError);
    expect(refused(content)).toThrow(message);
  });

  it('refuses a ward key others can read, or one that is no private key', async () => {
    const at = dir();
    const key = await keyFile(at, 0o644);
    const ward = (privateKeyFile: string) => ({
      servers: [HOSPITAL],
      workstation: { mode: 'ward', ward: 'ward-a', identity: { clientId: 'w', privateKeyFile } },
    });
    expect(refused(ward(key))).toThrow(
      /workstation\.identity\.privateKeyFile: .* readable by other users \(mode 644\)/,
    );
    const notKey = file({ kty: 'EC', crv: 'P-384', kid: 'k' }, 'public.json', at);
    chmodSync(notKey, 0o600);
    expect(refused(ward(notKey))).toThrow(/privateKeyFile: .*not a private key/);
  });
});

describe('the examples in docs/examples', () => {
  const example = (name: string) => join(import.meta.dirname, '../../../docs/examples', name);
  it('the local-demo ward workstation loads as written', () => {
    expect(loadDeployment({ argv: ['--config', example('local-ward-demo.json')], env: {} })).toMatchObject({
      kind: 'local-demo',
      workstation: {
        kind: 'ward',
        identity: { clientId: 'ward-a-workstation', ward: 'ward-a', privateKeyFile: null },
      },
    });
  });
  it('the hospital examples are valid but for the files that live on the ward machine', () => {
    expect(loadDeployment({ argv: ['--config', example('hospital-personal.json')], env: {} }).kind).toBe(
      'servers',
    );
    expect(() => loadDeployment({ argv: ['--config', example('hospital-ward.json')], env: {} })).toThrow(
      /: rulesFile: \/etc\/fhir-alert-monitor\/critical-values\.json does not exist/,
    );
  });
});

describe('the pharmacist worklist settings', () => {
  it('takes verification targets and an order-checks file, and names a bad target', () => {
    const at = dir();
    const checks = file('{}', 'order-checks.json', at);
    const mode = loadDeployment({
      argv: [
        '--config',
        file(
          {
            servers: [HOSPITAL],
            pharmacy: { targetMinutes: { stat: 10, urgent: 20 }, orderChecksFile: 'order-checks.json' },
          },
          'config.json',
          at,
        ),
      ],
      env: {},
      systemPath: none,
    });
    expect(mode.pharmacy).toEqual({ targetMinutes: { stat: 10, urgent: 20 }, orderChecksFile: checks });
    const bad = file({ servers: [HOSPITAL], pharmacy: { targetMinutes: { stat: 0 } } });
    expect(() => loadDeployment({ argv: ['--config', bad], env: {}, systemPath: none })).toThrow(
      /pharmacy\.targetMinutes\.stat/,
    );
  });
});
