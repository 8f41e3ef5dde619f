// Remembered FHIR servers: URL, display name and client id only — never tokens (the host keeps those).
// localStorage is per-origin: the browser host and Electron's app:// origin each keep their own list.
export interface RememberedServer {
  fhirBase: string;
  clientId: string;
}

const KEY = 'alert-monitor.servers';
const MAX = 10;

export function loadServers(): RememberedServer[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    if (!Array.isArray(raw)) return [];
    return raw
      .filter(
        (s: unknown): s is RememberedServer =>
          !!s &&
          typeof (s as RememberedServer).fhirBase === 'string' &&
          typeof (s as RememberedServer).clientId === 'string' &&
          /^https?:\/\//.test((s as RememberedServer).fhirBase),
      )
      .slice(0, MAX);
  } catch {
    return [];
  }
}

export function rememberServer(server: RememberedServer): RememberedServer[] {
  const next = [server, ...loadServers().filter((s) => s.fhirBase !== server.fhirBase)].slice(0, MAX);
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // storage unavailable: not remembered
  }
  return next;
}

export function forgetServer(fhirBase: string): RememberedServer[] {
  const next = loadServers().filter((s) => s.fhirBase !== fhirBase);
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // storage unavailable
  }
  return next;
}
