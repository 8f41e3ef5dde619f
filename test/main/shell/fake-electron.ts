// TEST DOUBLE for the `electron` module, which cannot exist here (no Electron runtime on the build
// machines). It records what the shell asks Electron to do; it implements no behaviour of its own.
import { EventEmitter } from 'node:events';

export const created = {
  windows: [] as FakeBrowserWindow[],
  notifications: [] as FakeNotification[],
  trays: [] as FakeTray[],
};

export class FakeBrowserWindow extends EventEmitter {
  readonly options: { webPreferences?: Record<string, unknown> };
  loadedUrl: string | null = null;
  constructor(options: { webPreferences?: Record<string, unknown> }) {
    super();
    this.options = options;
    created.windows.push(this);
  }
  loadURL(url: string) {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  show() {}
  // Bounds and maximized state, recorded (window-state tests).
  bounds = { x: 0, y: 0, width: 800, height: 600 };
  maximized = false;
  destroyed = false;
  setBounds(bounds: { x: number; y: number; width: number; height: number }) {
    this.bounds = { ...bounds };
  }
  getNormalBounds() {
    return { ...this.bounds };
  }
  maximize() {
    this.maximized = true;
  }
  isMaximized() {
    return this.maximized;
  }
  isDestroyed() {
    return this.destroyed;
  }
}

/** Records the tray's icon, tooltip, title and menu template. */
export class FakeTray extends EventEmitter {
  image: unknown;
  tooltip = '';
  title = '';
  menu: Array<{ label?: string; type?: string; enabled?: boolean; click?: () => void }> = [];
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.image = image;
    created.trays.push(this);
  }
  setImage(image: unknown) {
    this.image = image;
  }
  setToolTip(text: string) {
    this.tooltip = text;
  }
  setTitle(text: string) {
    this.title = text;
  }
  setContextMenu(menu: { template: FakeTray['menu'] }) {
    this.menu = menu.template;
  }
  destroy() {
    this.destroyed = true;
  }
}

export const fakeApp = {
  badgeCount: 0,
  loginItem: { openAtLogin: false },
  setBadgeCount(count: number) {
    fakeApp.badgeCount = count;
    return true;
  },
  getLoginItemSettings() {
    return { ...fakeApp.loginItem };
  },
  setLoginItemSettings(settings: { openAtLogin?: boolean }) {
    fakeApp.loginItem.openAtLogin = settings.openAtLogin ?? false;
  },
};

export class FakeNotification extends EventEmitter {
  static supported = true;
  static isSupported() {
    return FakeNotification.supported;
  }
  readonly options: Record<string, unknown>;
  shown = false;
  constructor(options: Record<string, unknown>) {
    super();
    this.options = options;
    created.notifications.push(this);
  }
  show() {
    this.shown = true;
  }
  closed = false;
  close() {
    this.closed = true;
    this.emit('close');
  }
}

export class FakeIpcMain {
  readonly handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) {
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
}

/**
 * safeStorage double: "encrypts" by reversing and base64-wrapping (reversible, NOT encryption) so tests
 * can see that stored bytes are not the plain text and round-trip; the backend is configurable.
 */
export const fakeSafeStorage = {
  available: true,
  backend: 'gnome_libsecret' as string,
  isAsyncEncryptionAvailable: async () => fakeSafeStorage.available,
  getSelectedStorageBackend: () => fakeSafeStorage.backend,
  encryptStringAsync: async (plain: string) => Buffer.from(`enc:${[...plain].reverse().join('')}`),
  decryptStringAsync: async (cipher: Buffer) => ({
    result: [...cipher.toString().replace(/^enc:/, '')].reverse().join(''),
    shouldReEncrypt: false,
  }),
};

export const fakeElectronModule = {
  app: fakeApp,
  Tray: FakeTray,
  Menu: { buildFromTemplate: (template: FakeTray['menu']) => ({ template }) },
  nativeImage: { createFromDataURL: (url: string) => ({ dataUrl: url }) },
  safeStorage: fakeSafeStorage,
  BrowserWindow: FakeBrowserWindow,
  Notification: FakeNotification,
  net: { fetch: () => Promise.reject(new Error('not in tests')) },
  protocol: { registerSchemesAsPrivileged: () => undefined, handle: () => undefined },
};
