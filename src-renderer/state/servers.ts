// Remembered FHIR servers: URL, display name and client id only — never tokens (the host keeps those).
// localStorage is per-origin: the browser host and Electron's app:// origin each keep their own list.
import { arr, field, parseJson } from '../../src-main/shared/fhir-json.ts';

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

/** One remembered server as stored, checked field by field (localStorage can hold anything). */
function rememberedServer(value: unknown): RememberedServer | null {
  const fhirBase = field(value, 'fhirBase');
  const clientId = field(value, 'clientId');
  if (typeof fhirBase !== 'string' || typeof clientId !== 'string' || !/^https?:\/\//.test(fhirBase))
    return null;
  const redirectPort = field(value, 'redirectPort');
  const scopes = field(value, 'scopes');
  const scopeList = arr(scopes);
  return {
    fhirBase,
    clientId,
    ...(typeof redirectPort === 'number' && Number.isInteger(redirectPort) ? { redirectPort } : {}),
    ...(Array.isArray(scopes) && scopeList.every((x): x is string => typeof x === 'string')
      ? { scopes: scopeList }
      : {}),
  };
}

export function loadServers(): RememberedServer[] {
  let stored: string | null;
  try {
    stored = localStorage.getItem(KEY);
  } catch {
    return []; // storage disabled (e.g. a privacy setting)
  }
  return arr(parseJson(stored ?? '[]'))
    .map(rememberedServer)
    .filter((s): s is RememberedServer => s !== null)
    .slice(0, MAX);
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

/**
 * A server typed on the sign-in form is remembered only once a sign-in to it succeeded: one that could
 * not be reached, refused, or was cancelled is not offered again.
 */
let awaitingSignIn: RememberedServer | null = null;

export function rememberAfterSignIn(server: RememberedServer | null): void {
  awaitingSignIn = server;
}

const sameBase = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** Called with each session change: remember the awaited server once signed in to it; drop it on failure. */
export function settleRemembered(session: { state: string; server: { fhirBase: string } | null }): void {
  if (!awaitingSignIn || session.state === 'signing-in') return;
  if (
    session.state === 'signed-in' &&
    session.server &&
    sameBase(session.server.fhirBase, awaitingSignIn.fhirBase)
  )
    rememberServer(awaitingSignIn);
  awaitingSignIn = null;
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
