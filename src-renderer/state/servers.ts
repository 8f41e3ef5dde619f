// Remembered FHIR servers: URL, display name and client id only — never tokens (the host keeps those).
// localStorage is per-origin: the browser host and Electron's app:// origin each keep their own list.
export interface RememberedServer {
  fhirBase: string;
  clientId: string;
  /** Only for servers that match loopback redirect URIs exactly. */
  redirectPort?: number;
  /** Scopes requested instead of the role's defaults. */
  scopes?: string[];
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
      .map((s) => ({
        fhirBase: s.fhirBase,
        clientId: s.clientId,
        ...(Number.isInteger(s.redirectPort) ? { redirectPort: s.redirectPort } : {}),
        ...(Array.isArray(s.scopes) && s.scopes.every((x) => typeof x === 'string')
          ? { scopes: s.scopes }
          : {}),
      }))
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

/** Map the host's reason to a plain explanation of what to do next. */
export function explainReason(reason: string): string {
  const r = reason.toLowerCase();
  if (/econnrefused|fetch failed|unreachable|enotfound|timed? ?out|network/.test(r))
    return `The server could not be reached. Check the URL and your network. (${reason})`;
  if (/smart|well-known|authorization_endpoint|standalone launch|pkce/.test(r))
    return `The server does not offer a usable SMART on FHIR sign-in. (${reason})`;
  if (/access_denied|denied|refused|consent/.test(r)) return `Sign-in was refused or cancelled. (${reason})`;
  return reason;
}
