// scripts/system-deps.sh, the one list of Debian packages the tests need (run first by `npm test` and by
// `.ci/run`). The OS package manager is the one part that cannot be real here (a test must not install
// or remove system packages), so `dpkg-query` and `apt-get` are test doubles: small shell scripts on a
// PATH of their own, backed by a file listing the "installed" packages and a log of apt-get calls.
// Everything else is real: the script runs in bash, as root and as an unprivileged user.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/system-deps.sh');
const ALL = ['chromium', 'xvfb', 'dunst', 'libnotify-bin', 'dbus'];
const isRoot = process.getuid?.() === 0;
/** The unprivileged user the script is run as when the tests themselves run as root. */
const NOBODY = 65534;

// Test double of Debian's dpkg-query: `-W -f='${Status}' <package>` against the INSTALLED file.
const FAKE_DPKG_QUERY = `#!/bin/sh
for last in "$@"; do :; done
while read -r installed; do
  if [ "$installed" = "$last" ]; then printf 'install ok installed'; exit 0; fi
done < "$FAKE_INSTALLED"
echo "dpkg-query: no packages found matching $last" >&2
exit 1
`;
// Test double of apt-get: logs each call; `install` marks its package arguments installed.
const FAKE_APT_GET = `#!/bin/sh
echo "$*" >> "$FAKE_APT_LOG"
if [ "$1" = install ]; then
  for arg in "$@"; do
    case "$arg" in install|-*) ;; *) echo "$arg" >> "$FAKE_INSTALLED" ;; esac
  done
fi
`;
// A stand-in for a program (used where no dpkg exists and the script looks for programs instead).
const PROGRAM = '#!/bin/sh\nexit 0\n';

interface Machine {
  dir: string;
  /** Directory put on PATH (the only one). */
  bin: string;
  aptLog: string;
  installed: string;
}

const machines: Machine[] = [];
afterEach(() => {
  for (const m of machines.splice(0)) rmSync(m.dir, { recursive: true, force: true });
});

function executable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** A PATH with the package-manager doubles asked for and the given packages "installed". */
function machine(options: {
  installed: string[];
  dpkg?: boolean;
  aptGet?: boolean;
  programs?: string[];
}): Machine {
  const dir = mkdtempSync(join(tmpdir(), 'system-deps-'));
  // Readable by the unprivileged user; the log directory writable so a wrong apt-get call shows up.
  chmodSync(dir, 0o777);
  const m: Machine = {
    dir,
    bin: join(dir, 'bin'),
    aptLog: join(dir, 'apt-get.log'),
    installed: join(dir, 'installed'),
  };
  machines.push(m);
  mkdirSync(m.bin);
  chmodSync(m.bin, 0o755);
  writeFileSync(m.installed, options.installed.map((p) => `${p}\n`).join(''));
  chmodSync(m.installed, 0o666);
  if (options.dpkg ?? true) executable(join(m.bin, 'dpkg-query'), FAKE_DPKG_QUERY);
  if (options.aptGet ?? true) executable(join(m.bin, 'apt-get'), FAKE_APT_GET);
  for (const name of options.programs ?? []) executable(join(m.bin, name), PROGRAM);
  return m;
}

interface Run {
  status: number | null;
  stderr: string;
  aptCalls: string[];
}

function run(m: Machine, options: { asNobody?: boolean; env?: Record<string, string> } = {}): Run {
  const env = { PATH: m.bin, FAKE_INSTALLED: m.installed, FAKE_APT_LOG: m.aptLog, ...options.env };
  const command = options.asNobody
    ? ['/usr/bin/setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '/bin/bash', SCRIPT]]
    : ['/bin/bash', [SCRIPT]];
  // A deadline against a hang (a real apt-get would download for minutes), not a speed expectation.
  const result = spawnSync(command[0] as string, command[1] as string[], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return {
    status: result.status,
    stderr: result.stderr,
    aptCalls: existsSync(m.aptLog) ? readFileSync(m.aptLog, 'utf8').trim().split('\n') : [],
  };
}

describe('scripts/system-deps.sh', () => {
  it('exits 0 without calling apt-get when every package is installed', () => {
    const m = machine({ installed: ALL });
    const result = run(m);
    expect(result).toEqual({ status: 0, stderr: '', aptCalls: [] });
  });

  it('as an unprivileged user, stops at once with the exact sudo apt-get command naming what is missing', () => {
    const m = machine({ installed: ['chromium', 'libnotify-bin', 'dbus'] });
    // Root runs it as nobody; anyone else already is unprivileged.
    const result = run(m, { asNobody: isRoot });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('missing Debian packages the tests need: xvfb dunst');
    expect(result.stderr).toContain('Run: sudo apt-get update && sudo apt-get install -y xvfb dunst\n');
    expect(result.aptCalls).toEqual([]);
  });

  it('without apt-get on PATH, stops at once with the exact command naming what is missing', () => {
    const m = machine({ installed: ['xvfb', 'dunst', 'libnotify-bin', 'dbus'], aptGet: false });
    const result = run(m);
    expect(result.status).toBe(1);
    const command = isRoot
      ? 'apt-get update && apt-get install -y chromium'
      : 'sudo apt-get update && sudo apt-get install -y chromium';
    expect(result.stderr).toContain(`Run: ${command}\n`);
  });

  it.skipIf(!isRoot)(
    'as root with apt-get, installs exactly what is missing (update only then), and a second run does nothing',
    () => {
      const m = machine({ installed: ['chromium', 'dbus'] });
      const first = run(m);
      expect(first.status, first.stderr).toBe(0);
      expect(first.aptCalls).toEqual(['update -qq', 'install -y -qq xvfb dunst libnotify-bin']);
      const second = run(m);
      expect(second).toEqual({ status: 0, stderr: '', aptCalls: first.aptCalls });
    },
  );

  it('with CHROMIUM_PATH at an executable, does not ask for Debian chromium; at a non-file, names it', () => {
    const m = machine({ installed: ['xvfb', 'dunst', 'libnotify-bin', 'dbus'], programs: ['my-chromium'] });
    const own = run(m, { env: { CHROMIUM_PATH: join(m.bin, 'my-chromium') } });
    expect(own).toEqual({ status: 0, stderr: '', aptCalls: [] });
    const typo = run(m, { env: { CHROMIUM_PATH: '/nonexistent/chromium' } });
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain('CHROMIUM_PATH=/nonexistent/chromium is not an executable file.');
    expect(typo.aptCalls).toEqual([]);
  });

  it('without dpkg (not Debian), looks for the programs themselves and names the Debian packages missing', () => {
    const m = machine({
      installed: [],
      dpkg: false,
      aptGet: false,
      programs: ['my-chromium', 'xvfb-run', 'dunstctl', 'dbus-run-session'],
    });
    const result = run(m, { env: { CHROMIUM_PATH: join(m.bin, 'my-chromium') } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('missing system packages the tests need: libnotify-bin');
    executable(join(m.bin, 'notify-send'), PROGRAM);
    expect(run(m, { env: { CHROMIUM_PATH: join(m.bin, 'my-chromium') } }).status).toBe(0);
  });

  it('is the first step of npm test, and .ci/run uses it rather than a list of its own', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['test']).toMatch(/^bash scripts\/system-deps\.sh && /);
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toContain('bash scripts/system-deps.sh');
    expect(ci).not.toMatch(/apt-get|dpkg/);
  });
});
