// Claim-check reads: notifications carry ids; the resource is fetched here with the user's own token
// from the server that issued it, and re-authorised there (docs/architecture.md).
import type { ResourceView } from '../../shared/api.ts';
import { isResource, parseJson } from '../../shared/fhir-json.ts';
import { SignedOutError } from '../auth/session.ts';
import { BodyTooLargeError, readTextWithin } from '../../lib/bounded-body.ts';

export interface FhirAccess {
  fhirBase: string;
  accessToken(): Promise<string>;
  /**
   * Called on 401: resolve true after refreshing the token to retry once, false when the session is
   * over; reject when renewal failed for a transient reason (the request counts as a network error).
   */
  onUnauthorized(): Promise<boolean>;
}

/** The part of a signed-in session FHIR access needs. */
export interface TokenSource {
  fhirBase: string;
  accessToken(): Promise<string>;
  refreshNow(reason: string): Promise<void>;
}

/** FHIR access with a session's token: on a 401, renew once and retry; a refused renewal is a no. */
export function accessFor(session: TokenSource): FhirAccess {
  return {
    fhirBase: session.fhirBase,
    accessToken: () => session.accessToken(),
    onUnauthorized: () => refreshed(session, '401 from the FHIR server'),
  };
}

/**
 * Renew the session's token (for channels' and reads' single retry): true when that worked, false
 * when the session is over (the server refused). A transient renewal failure rejects: the caller
 * treats it like a network error and tries again later, instead of giving up on the request.
 */
export async function refreshed(session: TokenSource, reason: string): Promise<boolean> {
  try {
    await session.refreshNow(reason);
    return true;
  } catch (error) {
    if (error instanceof SignedOutError) return false;
    throw error;
  }
}

const RELATIVE_REFERENCE =
  /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;
const MAX_RESOURCE_BYTES = 4 * 1024 * 1024;

export class FhirRequestError extends Error {
  override readonly name = 'FhirRequestError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Send one authorised request to the FHIR server. `path` is relative to the FHIR base; absolute URLs are
 * refused so a token can never travel to another origin.
 */
export async function fhirFetch(
  access: FhirAccess,
  path: string,
  init: {
    method?: string;
    body?: unknown;
    signal?: AbortSignal;
    /** Preconditions only (`If-Match`, `If-None-Match`, `If-None-Exist`): never credentials, set here. */
    headers?: { 'If-Match'?: string; 'If-None-Match'?: string; 'If-None-Exist'?: string };
  } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//')) {
    throw new FhirRequestError(0, 'refusing to send a token to an absolute URL');
  }
  const url = `${access.fhirBase.replace(/\/$/, '')}/${path.replace(/^\//, '')}`;
  let retried = false;
  for (;;) {
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        Accept: 'application/fhir+json',
        Authorization: `Bearer ${await access.accessToken()}`,
        ...(init.body === undefined ? {} : { 'Content-Type': 'application/fhir+json' }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      redirect: 'error',
      signal: init.signal ?? AbortSignal.timeout(15_000),
    });
    if (response.status === 401 && !retried && (await access.onUnauthorized())) {
      retried = true;
      await response.body?.cancel();
      continue;
    }
    const text = await readBounded(response);
    const body = text.length > 0 ? parseJson(text) : null;
    if (body === undefined) {
      throw new FhirRequestError(
        response.status,
        `server answered ${response.status} with a body that is not JSON`,
      );
    }
    return { status: response.status, body, headers: response.headers };
  }
}

async function readBounded(response: Response): Promise<string> {
  try {
    return await readTextWithin(response, MAX_RESOURCE_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new FhirRequestError(response.status, error.message);
    throw error;
  }
}

/**
 * Pauses between attempts when a read fails transiently (network error, 5xx, 429, no token for now).
 * The total wait stays bounded (~8.75 s); a read still failing after it is reported with
 * `transient: true`, and enrichment keeps the alert owed and retries it later (enrichment.ts), so a
 * critical result behind a server restart or a dropped token response is never left silent.
 */
export const TRANSIENT_RETRY_DELAYS_MS: readonly number[] = [250, 1_000, 2_500, 5_000];

/** A read's outcome; `transient` marks an error that a later attempt may not have. */
export type ReadOutcome = ResourceView & { transient?: boolean };

/** Read `Type/id` (optionally `/_history/v`) and map the outcome to a view state; never throws. */
export async function readResource(
  access: FhirAccess,
  reference: string,
  retryDelaysMs: readonly number[] = TRANSIENT_RETRY_DELAYS_MS,
): Promise<ResourceView> {
  const { transient: _transient, ...result } = await readResourceWithRetry(access, reference, retryDelaysMs);
  return result;
}

/** Like readResource, but says whether a final error was transient (enrichment keeps such alerts owed). */
export async function readResourceWithRetry(
  access: FhirAccess,
  reference: string,
  retryDelaysMs: readonly number[] = TRANSIENT_RETRY_DELAYS_MS,
): Promise<ReadOutcome> {
  let view = await readResourceOnce(access, reference);
  for (const delay of retryDelaysMs) {
    if (!view.transient) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
    view = await readResourceOnce(access, reference);
  }
  return view;
}

async function readResourceOnce(access: FhirAccess, reference: string): Promise<ReadOutcome> {
  const match = RELATIVE_REFERENCE.exec(reference);
  if (!match) return { reference, status: 'error', resource: null, message: 'not a relative FHIR reference' };
  const [, type, id] = match;
  try {
    const { status, body } = await fhirFetch(access, reference);
    if (status === 404 || status === 410) {
      return { reference, status: 'gone', resource: null, message: 'This record is no longer available.' };
    }
    if (status === 403) {
      return {
        reference,
        status: 'forbidden',
        resource: null,
        message: 'You are not permitted to see this record.',
      };
    }
    if (status !== 200) {
      return {
        reference,
        status: 'error',
        resource: null,
        message: `The server answered ${status}.`,
        // 401 here means the token was refused even after a renewal: the next token may do.
        transient: status >= 500 || status === 429 || status === 401,
      };
    }
    if (!isResource(body, type) || body.id !== id) {
      return {
        reference,
        status: 'error',
        resource: null,
        message: `The server returned something other than ${type}/${id}.`,
      };
    }
    return { reference, status: 'ok', resource: body, message: null };
  } catch (error) {
    const message = error instanceof Error ? error.message : 'request failed';
    // A FhirRequestError is a refusal (foreign origin, oversized body): retrying cannot help. Anything
    // else — a network error, no token for now, or signed out (the next sign-in reads it) — may pass.
    return {
      reference,
      status: 'error',
      resource: null,
      message,
      transient: !(error instanceof FhirRequestError),
    };
  }
}
