// `$get-ws-binding-token` and the bind message of the standard FHIR websocket channel, with what servers
// differ on: the HTTP method the operation answers (the IG's servers take POST; Medplum answers only
// GET, POST being 404 there) and the bind message form (the IG's text `bind-with-token <token>`;
// Medplum's JSON `{"type":"bind-with-token","payload":{"token":…}}`). With `auto`, both are tried and
// what worked is reported, so the caller can remember it (docs/interop.md).
import { choice, isResource, namedParameters, outcomeMessage } from '../../shared/fhir-json.ts';
import { parseRetryAfterMs } from './backoff.ts';
import type { Outcome } from './channel-loop.ts';

export type TokenMethod = 'POST' | 'GET';
export type BindStyle = 'text' | 'json';

export interface BindingToken {
  token: string;
  expiresAt: number;
  websocketUrl: string;
}

/** Parse the `$get-ws-binding-token` answer; an error string names the field only. */
export function parseBindingParameters(json: unknown): BindingToken | { error: string } {
  if (!isResource(json, 'Parameters')) {
    return { error: 'binding token answer is not a Parameters resource' };
  }
  const value = (name: string, keys: readonly string[]): unknown =>
    choice(namedParameters(json['parameter'], name)[0], keys);
  const token = value('token', ['valueString']);
  // The token is pasted into a text protocol line: refuse anything that could smuggle a second command.
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(token)) {
    return { error: 'binding token missing or not a single printable word' };
  }
  const expiration = value('expiration', ['valueDateTime', 'valueInstant', 'valueString']);
  const expiresAt = typeof expiration === 'string' ? Date.parse(expiration) : Number.NaN;
  if (Number.isNaN(expiresAt)) return { error: 'binding token expiration missing or invalid' };
  const url = value('websocket-url', ['valueUrl', 'valueUri', 'valueString']);
  const parsed = typeof url === 'string' && URL.canParse(url) ? new URL(url) : null;
  if (!parsed || (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')) {
    return { error: 'websocket-url missing or not ws:/wss:' };
  }
  return { token, expiresAt, websocketUrl: parsed.toString() };
}

export function bindMessage(token: string, style: BindStyle): string {
  return style === 'json'
    ? JSON.stringify({ type: 'bind-with-token', payload: { token } })
    : `bind-with-token ${token}`;
}

/**
 * The bind forms to try, in order: the one chosen, or (auto) the remembered one first, else JSON:
 * a server that understands only the text form says so or stays silent, either way the text form
 * follows on the same socket, while a server that understands only JSON (Medplum) never answers the
 * text form at all and would cost the whole wait.
 */
export function bindStyles(choice: BindStyle | 'auto', remembered: BindStyle | null): BindStyle[] {
  if (choice !== 'auto') return [choice];
  return remembered === 'text' ? ['text', 'json'] : ['json', 'text'];
}

/** The token methods to try, in order. */
export function tokenMethods(choice: TokenMethod | 'auto', remembered: TokenMethod | null): TokenMethod[] {
  if (choice !== 'auto') return [choice];
  if (remembered !== null) return [remembered];
  return ['POST', 'GET'];
}

/** What one token request's HTTP status means. */
export type TokenAnswer =
  | { kind: 'ok' }
  | { kind: 'unauthorized' }
  | { kind: 'try-other-method' }
  | { kind: 'gone'; why: string }
  | { kind: 'retry'; outcome: Outcome };

/**
 * Classify a failed token answer. "Not found" means the subscription is gone (deleted, or, on
 * Medplum, closed with its socket: 400 "Error reading subscription: Not found"), unless another
 * method is still to be tried: a server that does not answer this method also says 404 (Medplum's
 * POST) or 405, and a narrow-scope user may get 403.
 */
export function classifyTokenAnswer(
  status: number,
  body: unknown,
  retryAfter: string | null,
  moreMethods: boolean,
): TokenAnswer {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (moreMethods && (status === 403 || status === 404 || status === 405))
    return { kind: 'try-other-method' };
  if (status === 401 || status === 403) return { kind: 'unauthorized' };
  const outcome = outcomeMessage(body, 200) ?? '';
  if (status === 404 || status === 410 || (status === 400 && /not found/i.test(outcome))) {
    return { kind: 'gone', why: `subscription not found on the server (HTTP ${status})` };
  }
  if (status === 429 || status === 503) {
    const delayMs = parseRetryAfterMs(retryAfter, Date.now());
    return {
      kind: 'retry',
      outcome: {
        next: 'retry',
        reason: `binding token: HTTP ${status}`,
        ...(delayMs === null ? {} : { delayMs }),
      },
    };
  }
  return { kind: 'retry', outcome: { next: 'retry', reason: `binding token: HTTP ${status}` } };
}
