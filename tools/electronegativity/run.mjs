// `npm run lint:electron`: Electronegativity over the Electron shell sources (where `eng-disable`
// annotations with reasons live), the preload bundle and the renderer's index.html (its CSP meta).
// It lives in its own folder with TypeScript 4 because Electronegativity 1.10.3 cannot load next to
// TypeScript >= 6. Offline-safe: `-e <installed electron version>` instead of fetching the release
// list, AvailableSecurityFixesGlobalCheck excluded (it downloads Electron's release notes — the one
// check that needs the network). Fails on any HIGH or MEDIUM finding.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cli = join(here, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');

if (!existsSync(cli)) {
  console.log('electronegativity: installing into tools/electronegativity (npm, prefer-offline) ...');
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: here,
    stdio: 'inherit',
  });
  if (install.status !== 0 || !existsSync(cli)) {
    console.error(
      'electronegativity: could not be installed (no registry and no npm cache?). ' +
        'Run `npm install` in tools/electronegativity once with network access.',
    );
    process.exit(process.env.ELECTRONEGATIVITY_OPTIONAL === '1' ? 0 : 1);
  }
}

const electronVersion = JSON.parse(
  readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8'),
).version;
const scan = mkdtempSync(join(tmpdir(), 'electronegativity-'));
try {
  mkdirSync(join(scan, 'shell'));
  for (const f of readdirSync(join(root, 'src-main', 'shell')))
    if (f.endsWith('.ts')) copyFileSync(join(root, 'src-main', 'shell', f), join(scan, 'shell', f));
  const html = existsSync(join(root, 'out', 'renderer', 'index.html'))
    ? join(root, 'out', 'renderer', 'index.html')
    : join(root, 'src-renderer', 'index.html');
  copyFileSync(html, join(scan, 'index.html'));
  const preloadDir = join(root, 'out', 'preload');
  if (existsSync(preloadDir))
    for (const f of readdirSync(preloadDir)) copyFileSync(join(preloadDir, f), join(scan, `preload-${f}`));
  const csv = join(scan, 'report.csv');
  const run = spawnSync(
    process.execPath,
    [cli, '-i', scan, '-e', electronVersion, '-x', 'AvailableSecurityFixesGlobalCheck', '-r', '-o', csv],
    { cwd: here, encoding: 'utf8', timeout: 120_000 },
  );
  if (!existsSync(csv)) {
    console.error(run.stdout, run.stderr);
    console.error('electronegativity: no report written');
    process.exit(1);
  }
  const rows = readFileSync(csv, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim());
  const blocking = rows.filter((r) => /^[A-Z_]+,"(HIGH|MEDIUM)"/.test(r));
  for (const r of rows) console.log(`  ${r.split(',').slice(0, 5).join(' ')}`);
  console.log(
    `electronegativity ${electronVersion}: ${rows.length} finding(s), ${blocking.length} high/medium (annotated ones are excluded by eng-disable)`,
  );
  process.exit(blocking.length === 0 ? 0 : 1);
} finally {
  rmSync(scan, { recursive: true, force: true });
}
