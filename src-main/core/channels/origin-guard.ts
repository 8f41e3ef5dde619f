// Token hygiene for the subscription channels (docs/architecture.md, "Token hygiene"). A stream URL is
// named by the server, in `Subscription.channel.endpoint` (SSE) or in the `websocket-url` of a
// `$get-ws-binding-token` answer; whoever can rewrite that answer could point the stream, and the
// token sent with it, anywhere. So a channel talks only to the FHIR base's own origin, or to an origin
// the deployment configuration lists explicitly; anything else is refused before a byte is sent and
// the refusal is reported in words (it shows in health).
//
// Both channels are built with `guardedFetch`: every request is checked before it leaves, redirects
// are not followed but refused (a redirect could lead the token elsewhere), and a binding-token answer
// naming a websocket URL elsewhere is never handed to the websocket channel.
import { choice, isResource, namedParameters } from '../../shared/fhir-json.ts';
import { MAX_CONTROL_ANSWER_BYTES, readJsonWithin } from '../../lib/bounded-body.ts';

export interface StreamOriginPolicy {
  /** The FHIR base the session belongs to: its origin is always allowed. */
  fhirBase: string;
  /** Extra origins the deployment configuration allows for streams (http(s) or ws(s) spellings). */
  allowedOrigins: readonly string[];
}

/** The origin as the web compares it, with ws: read as http: and wss: as https: (same server, same TLS). */
export function comparableOrigin(url: string): string | null {
  if (!URL.canParse(url)) return null;
  const parsed = new URL(url);
  const protocol =
    parsed.protocol === 'ws:' ? 'http:' : parsed.protocol === 'wss:' ? 'https:' : parsed.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') return null;
  return `${protocol}//${parsed.host}`;
}

/** Why a stream URL is refused, in words for health and the log; null when it may be used. */
export function streamUrlRefusal(url: string, policy: StreamOriginPolicy, what: string): string | null {
  const origin = comparableOrigin(url);
  if (origin === null) return `the ${what} is not an http(s) or ws(s) URL; refused`;
  const own = comparableOrigin(policy.fhirBase);
  const allowed = new Set([own, ...policy.allowedOrigins.map(comparableOrigin)]);
  if (allowed.has(origin)) return null;
  return (
    `the ${what} is on ${origin}, another origin than the FHIR server (${own ?? 'unknown'}); ` +
    'refused, no token sent (allow it in the configuration: allowedStreamOrigins)'
  );
}

/** The `websocket-url` a `$get-ws-binding-token` answer names, if it is one. */
function bindingWebsocketUrl(body: unknown): string | null {
  if (!isResource(body, 'Parameters')) return null;
  const value = choice(namedParameters(body['parameter'], 'websocket-url')[0], [
    'valueUrl',
    'valueUri',
    'valueString',
  ]);
  return typeof value === 'string' ? value : null;
}

/**
 * What the channel is told when the guard refuses: the answer a server gives for a subscription the
 * client cannot use (404), which both channels treat as final. The words are reported separately.
 */
function refusedResponse(): Response {
  return new Response(null, { status: 404, statusText: 'Refused by the stream origin check' });
}

export interface GuardedFetch {
  fetch: typeof fetch;
  /** The last refusal, in words; null while nothing was refused. */
  refusal(): string | null;
}

/**
 * A fetch for one channel that sends nothing to an origin the policy does not allow, follows no
 * redirect, and refuses a binding token whose websocket URL is elsewhere. `onRefused` hears each
 * refusal once it happens (health, log).
 */
export function guardedFetch(
  policy: StreamOriginPolicy,
  onRefused: (why: string) => void,
  inner: typeof fetch = fetch,
): GuardedFetch {
  let lastRefusal: string | null = null;
  const refuse = (why: string): Response => {
    lastRefusal = why;
    onRefused(why);
    return refusedResponse();
  };
  const guarded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const refused = streamUrlRefusal(url, policy, 'stream endpoint');
    if (refused) return refuse(refused);
    // Redirects are not followed: the answer comes back here and is refused. ('manual', not 'error':
    // with 'error' Node's fetch stops forwarding an abort to a streaming body, so a stopped channel
    // would hang until the next frame.)
    const response = await inner(input, { ...init, redirect: 'manual' });
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel().catch(() => undefined);
      return refuse(
        `the stream endpoint answered with a redirect (HTTP ${response.status}); refused, no token sent on`,
      );
    }
    if (!/\$get-ws-binding-token$/.test(new URL(url).pathname) || !response.ok) return response;
    // Read a copy: the channel still gets the untouched answer when the websocket URL is allowed.
    const body: unknown = await readJsonWithin(response.clone(), MAX_CONTROL_ANSWER_BYTES).catch(() => null);
    const websocketUrl = bindingWebsocketUrl(body);
    const wsRefused = websocketUrl ? streamUrlRefusal(websocketUrl, policy, 'websocket-url') : null;
    if (wsRefused) {
      await response.body?.cancel().catch(() => undefined);
      return refuse(wsRefused);
    }
    return response;
  };
  return { fetch: guarded, refusal: () => lastRefusal };
}
