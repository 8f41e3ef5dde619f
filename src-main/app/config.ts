// The deployment configuration: one validated file hospital IT places on a ward's machines
// (docs/deployment.md). Where it is looked for, in order: `--config <file>` on the command line (both
// hosts), the ALERT_MONITOR_CONFIG environment variable, then the system-wide location. A file named
// by the first two must exist. With none of them, `npm start` stays the zero-config local demo.
//
// A file that does not parse or validate is an error naming the field: the host shows it (Electron
// dialog, the browser host's error page) and logs it, and never falls back to the demo.
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { deploymentSchema, type DeploymentFile } from './config-schema.ts';
import { LOCAL_DEMO_MODE, type AppMode, type DeploymentSettings } from './mode.ts';
import { readWardKey } from './ward-identity.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const CONFIG_ENV = 'ALERT_MONITOR_CONFIG';

/** The system-wide location for this platform (overridable by `--config` and ALERT_MONITOR_CONFIG). */
export function systemConfigPath(platform: NodeJS.Platform = process.platform, env = process.env): string {
  if (platform === 'win32')
    return join(env['ProgramData'] ?? 'C:\\ProgramData', 'fhir-alert-monitor', 'config.json');
  if (platform === 'darwin') return '/Library/Application Support/fhir-alert-monitor/config.json';
  return '/etc/fhir-alert-monitor/config.json';
}

/** `--config <file>` or `--config=<file>` from an argv (Electron adds its own flags; they are ignored). */
export function configArgument(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--config') {
      const value = argv[i + 1];
      if (!value || value.startsWith('--')) throw new ConfigError('--config needs a file name');
      return value;
    }
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return null;
}

export interface ConfigLocation {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Default: systemConfigPath(). Tests point it at a temporary directory. */
  systemPath?: string;
}

/** Which file to read, and whether it must exist (the system-wide one may be absent: the demo runs). */
export function locateConfig(where: ConfigLocation): { path: string; required: boolean } {
  const named = configArgument(where.argv ?? []) ?? where.env?.[CONFIG_ENV] ?? null;
  if (named) return { path: resolve(named), required: true };
  const system = where.systemPath ?? systemConfigPath();
  return { path: system, required: false };
}

/** The AppMode the configuration asks for; LOCAL_DEMO_MODE when there is none. Throws ConfigError. */
export function loadDeployment(where: ConfigLocation): AppMode {
  const located = locateConfig(where);
  let text: string;
  try {
    text = readFileSync(located.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !located.required) return LOCAL_DEMO_MODE;
    throw new ConfigError(`Configuration ${located.path}: cannot be read (${code ?? String(error)})`);
  }
  return parseDeployment(text, located.path);
}

/** Validate a configuration file's text (from `path`, for messages and relative file names). */
export function parseDeployment(text: string, path: string): AppMode {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `Configuration ${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const parsed = deploymentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new ConfigError(`Configuration ${path}: ${field}: ${issue?.message ?? 'invalid'}`);
  }
  return toMode(parsed.data, path);
}

function toMode(file: DeploymentFile, path: string): AppMode {
  const relative = (name: string) => (isAbsolute(name) ? name : resolve(dirname(path), name));
  const settings: DeploymentSettings = {
    source: path,
    ...(file.privacyDefault !== undefined ? { privacyDefault: file.privacyDefault } : {}),
    ...(file.readBackHours !== undefined ? { readBackHours: file.readBackHours } : {}),
    ...(file.escalation ? { escalation: file.escalation } : {}),
    ...(file.rulesFile ? { rulesFile: checkedFile(relative(file.rulesFile), path, 'rulesFile') } : {}),
    ...(file.pharmacy
      ? {
          pharmacy: {
            ...(file.pharmacy.targetMinutes ? { targetMinutes: file.pharmacy.targetMinutes } : {}),
            ...(file.pharmacy.orderChecksFile
              ? {
                  orderChecksFile: checkedFile(
                    relative(file.pharmacy.orderChecksFile),
                    path,
                    'pharmacy.orderChecksFile',
                  ),
                }
              : {}),
          },
        }
      : {}),
  };
  if (file.workstation.mode === 'ward') {
    const { identity, ward } = file.workstation;
    const keyFile = identity.privateKeyFile ? relative(identity.privateKeyFile) : null;
    if (keyFile) checkKeyFile(keyFile, path);
    settings.workstation = {
      kind: 'ward',
      identity: {
        clientId: identity.clientId,
        ward,
        privateKeyFile: keyFile,
        ...(identity.scopes ? { scopes: identity.scopes } : {}),
      },
    };
  } else settings.workstation = { kind: 'personal' };
  if (file.localDemo?.enabled) {
    const { enabled: _enabled, ...demo } = file.localDemo;
    return { kind: 'local-demo', ...demo, ...settings };
  }
  return { kind: 'servers', servers: file.servers, ...settings };
}

function checkedFile(file: string, path: string, field: string): string {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
  } catch {
    throw new ConfigError(`Configuration ${path}: ${field}: ${file} does not exist or is not a file`);
  }
  return file;
}

/** The ward key must be a usable private JWK that only its owner can read (like an ssh key). */
function checkKeyFile(file: string, path: string): void {
  const field = 'workstation.identity.privateKeyFile';
  checkedFile(file, path, field);
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new ConfigError(
      `Configuration ${path}: ${field}: ${file} is readable by other users (mode ${mode.toString(8)}); chmod 600 it`,
    );
  try {
    readWardKey(file);
  } catch (error) {
    throw new ConfigError(
      `Configuration ${path}: ${field}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
