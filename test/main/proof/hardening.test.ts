// Electron hardening, asserted. The Electron runtime is absent on these machines, so the shell
// runs against the named test double (test/main/shell/fake-electron.ts) extended here with `shell`,
// a recording `protocol.handle` and `net.fetch`. What a fake cannot prove (the real Chromium honouring
// the settings) is covered by Electronegativity's static scan (`npm run lint:electron`).
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { App, Session, WebContents } from 'electron';
import { created, fakeElectronModule } from '../shell/fake-electron.ts';

const opened: string[] = [];
const protocolHandlers = new Map<string, (request: Request) => Promise<Response>>();
const privileged: unknown[] = [];
vi.mock('electron', () => ({
  ...fakeElectronModule,
  shell: {
    openExternal: async (url: string) => {
      opened.push(url);
    },
  },
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown[]) => privileged.push(...schemes),
    handle: (scheme: string, handler: (request: Request) => Promise<Response>) =>
      protocolHandlers.set(scheme, handler),
  },
  net: { fetch: async () => new Response('<!doctype html>', { status: 200 }) },
}));

const { guardWebContents, denyAllPermissions, installSecurityGuards } =
  await import('../../../src-main/shell/security.ts');
const { openAuthorizationUrl, isAuthorizationUrlFor } =
  await import('../../../src-main/shell/open-external.ts');
const { registerAppScheme, serveRenderer } = await import('../../../src-main/shell/protocol.ts');
const { secureWebPreferences, createMainWindow } = await import('../../../src-main/shell/window.ts');
const { CONTENT_SECURITY_POLICY } = await import('../../../src-main/lib/csp.ts');

class FakeContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.openHandler = handler;
  }
  /** Emit like Electron: returns whether a listener called preventDefault(). */
  fire(name: string, url: string): boolean {
    let prevented = false;
    this.emit(name, { preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

beforeEach(() => {
  opened.length = 0;
});

describe('BrowserWindow webPreferences', () => {
  it('isolation, sandbox, web security on; Node, insecure content, experiments, webviews off', () => {
    expect(secureWebPreferences('/p')).toEqual({
      preload: '/p',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    });
    createMainWindow('/app/out');
    const prefs = created.windows.at(-1)?.options.webPreferences;
    expect(prefs).toEqual(secureWebPreferences('/app/out/preload/index.cjs'));
  });

  it('no shell source turns a security preference off or enables Blink features', () => {
    const dir = fileURLToPath(new URL('../../../src-main/shell/', import.meta.url));
    for (const file of ['main.ts', 'window.ts', 'security.ts', 'protocol.ts', 'preload.ts', 'ipc.ts']) {
      const text = readFileSync(`${dir}${file}`, 'utf8');
      expect(text, file).not.toMatch(/contextIsolation:\s*false|sandbox:\s*false|webSecurity:\s*false/);
      expect(text, file).not.toMatch(/nodeIntegration:\s*true|enableBlinkFeatures|allowpopups/);
      expect(text, file).not.toMatch(/loadFile\(|loadURL\(\s*['"`]file:/);
    }
  });
});

describe('navigation, new windows, webviews', () => {
  it('denies window.open and blocks navigation/redirects off app://monitor', () => {
    const contents = new FakeContents();
    guardWebContents(contents as unknown as WebContents);
    expect(contents.openHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'app://monitor/index.html' })).toEqual({ action: 'deny' });
    for (const name of ['will-navigate', 'will-redirect']) {
      expect(contents.fire(name, 'https://evil.example/'), name).toBe(true);
      expect(contents.fire(name, 'file:///etc/passwd'), name).toBe(true);
      expect(contents.fire(name, 'app://other/index.html'), name).toBe(true);
      expect(contents.fire(name, 'javascript:alert(1)'), name).toBe(true);
      expect(contents.fire(name, 'app://monitor/index.html#/alerts'), name).toBe(false);
    }
    expect(contents.fire('will-attach-webview', 'app://monitor/')).toBe(true);
  });

  it('guards every web contents the app creates', () => {
    const app = new EventEmitter();
    installSecurityGuards(app as unknown as App);
    const contents = new FakeContents();
    app.emit('web-contents-created', {}, contents);
    expect(contents.openHandler).not.toBeNull();
    expect(contents.fire('will-navigate', 'https://evil.example/')).toBe(true);
  });
});

describe('permissions', () => {
  it('denies every permission request and check', () => {
    type RequestHandler = (c: unknown, p: string, cb: (ok: boolean) => void) => void;
    type CheckHandler = (...a: unknown[]) => boolean;
    const installed: { request?: RequestHandler; check?: CheckHandler } = {};
    const session = {
      setPermissionRequestHandler: (h: RequestHandler) => (installed.request = h),
      setPermissionCheckHandler: (h: CheckHandler) => (installed.check = h),
    };
    denyAllPermissions(session as unknown as Session);
    expect(installed.request).toBeDefined();
    for (const permission of ['notifications', 'media', 'geolocation', 'clipboard-read', 'openExternal']) {
      const answers: boolean[] = [];
      installed.request?.({}, permission, (ok) => answers.push(ok));
      expect(answers, permission).toEqual([false]);
      expect(installed.check?.({}, permission, 'app://monitor', {})).toBe(false);
    }
  });
});

describe('app:// protocol and CSP', () => {
  it('registers app:// as a standard secure scheme and serves GET only, with the CSP, inside the renderer', async () => {
    registerAppScheme();
    expect(privileged).toContainEqual(expect.objectContaining({ scheme: 'app' }));
    serveRenderer('/app/out/renderer');
    const handle = protocolHandlers.get('app');
    expect(handle).toBeDefined();
    const ok = await handle?.(new Request('app://monitor/index.html'));
    expect(ok?.status).toBe(200);
    expect(ok?.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(ok?.headers.get('x-content-type-options')).toBe('nosniff');
    expect(
      (await handle?.(new Request('app://monitor/index.html', { method: 'POST', body: 'x' })))?.status,
    ).toBe(405);
    expect((await handle?.(new Request('app://evil/index.html')))?.status).toBe(404);
    expect((await handle?.(new Request('app://monitor/..%2F..%2Fetc%2Fpasswd')))?.status).toBe(404);
  });

  it('the CSP allows no inline or remote script, no objects, no framing', () => {
    const directives = new Map(
      CONTENT_SECURITY_POLICY.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });
});

describe('shell.openExternal', () => {
  const fhirBase = 'http://127.0.0.1:8080/fhir';

  it('opens only the configured server authorization URL', async () => {
    await openAuthorizationUrl('http://127.0.0.1:8080/auth/authorize?client_id=x', fhirBase);
    expect(opened).toEqual(['http://127.0.0.1:8080/auth/authorize?client_id=x']);
    expect(isAuthorizationUrlFor('https://fhir.example.org/auth', 'https://fhir.example.org/r4')).toBe(true);
  });

  it('refuses other hosts, ports, schemes and credentials', async () => {
    for (const url of [
      'http://127.0.0.1:9999/auth/authorize',
      'http://localhost:8080/auth/authorize',
      'https://evil.example/auth/authorize',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://127.0.0.1/share',
      'http://user:pw@127.0.0.1:8080/auth/authorize',
      'not a url',
    ]) {
      await expect(openAuthorizationUrl(url, fhirBase), url).rejects.toThrow(/refusing/);
    }
    expect(isAuthorizationUrlFor('http://fhir.example.org/auth', 'http://fhir.example.org/r4')).toBe(false);
    expect(opened).toEqual([]);
  });

  it('opens an authorization page on an origin the deployment configuration allows, https only', async () => {
    const base = 'https://fhir.example.org/r4';
    const allowed = ['https://login.example.org'];
    expect(isAuthorizationUrlFor('https://login.example.org/authorize', base, allowed)).toBe(true);
    expect(isAuthorizationUrlFor('https://login.example.org:8443/authorize', base, allowed)).toBe(false);
    expect(isAuthorizationUrlFor('https://login.example.org/authorize', base)).toBe(false);
    await openAuthorizationUrl('https://login.example.org/authorize?x=1', base, allowed);
    expect(opened).toEqual(['https://login.example.org/authorize?x=1']);
  });
});

describe('fuses at packaging (build/fuses.json, applied by build/after-pack.mjs)', () => {
  it('turns RunAsNode, NODE_OPTIONS and --inspect off and asar integrity on', () => {
    const fuses = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../../build/fuses.json', import.meta.url)), 'utf8'),
    ) as Record<string, unknown>;
    expect(fuses).toMatchObject({
      RunAsNode: false,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      EnableCookieEncryption: true,
      GrantFileProtocolExtraPrivileges: false,
    });
    const afterPack = readFileSync(
      fileURLToPath(new URL('../../../build/after-pack.mjs', import.meta.url)),
      'utf8',
    );
    expect(afterPack).toMatch(/flipFuses/);
    expect(afterPack).toMatch(/fuses\.json/);
  });
});
