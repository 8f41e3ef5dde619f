// Claim-check reads: notifications carry ids; the resource is fetched here with the user's own token
// from the server that issued it, and re-authorised there (docs/architecture.md).
import type { ResourceView } from '../../shared/api.ts';
import { isResource, parseJson } from '../../shared/fhir-json.ts';

export interface FhirAccess {
  fhirBase: string;
  accessToken(): Promise<string>;
  /** Called on 401: resolve true after refreshing the token to retry once. */
  onUnauthorized(): Promise<boolean>;
}

/** The part of a signed-in session FHIR access needs. */
export interface TokenSource {
  fhirBase: string;
  accessToken(): Promise<string>;
  refreshNow(reason: string): Promise<void>;
}

/** FHIR access with a session's token: on a 401, renew once and retry; a failed renewal is a no. */
export function accessFor(session: TokenSource): FhirAccess {
  return {
    fhirBase: session.fhirBase,
    accessToken: () => session.accessToken(),
    onUnauthorized: () => refreshed(session, '401 from the FHIR server'),
  };
}

/** Renew the session's token; true when that worked (for channels' and reads' single retry). */
export async function refreshed(session: TokenSource, reason: string): Promise<boolean> {
  try {
    await session.refreshNow(reason);
    return true;
  } catch {
    return false;
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
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
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
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RESOURCE_BYTES) {
    await response.body?.cancel();
    throw new FhirRequestError(
      response.status,
      `response of ${declared} bytes exceeds the ${MAX_RESOURCE_BYTES}-byte limit`,
    );
  }
  const buffer = await response.arrayBuffer();
  if (buffer.byteLength > MAX_RESOURCE_BYTES) {
    throw new FhirRequestError(response.status, `response exceeds the ${MAX_RESOURCE_BYTES}-byte limit`);
  }
  return new TextDecoder().decode(buffer);
}

/** Read `Type/id` (optionally `/_history/v`) and map the outcome to a view state; never throws. */
/**
 * Pauses between attempts when a read fails transiently (network error, 5xx, 429). A critical result
 * whose claim-check read hits a server restart or a dropped connection must not end as "Could not
 * load" without a notification (found by the soak checker); the total wait stays bounded.
 */
export const TRANSIENT_RETRY_DELAYS_MS: readonly number[] = [250, 1_000, 2_500, 5_000];

export async function readResource(
  access: FhirAccess,
  reference: string,
  retryDelaysMs: readonly number[] = TRANSIENT_RETRY_DELAYS_MS,
): Promise<ResourceView> {
  let view = await readResourceOnce(access, reference);
  for (const delay of retryDelaysMs) {
    if (!view.transient) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
    view = await readResourceOnce(access, reference);
  }
  const { transient: _transient, ...result } = view;
  return result;
}

async function readResourceOnce(
  access: FhirAccess,
  reference: string,
): Promise<ResourceView & { transient?: boolean }> {
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
        transient: status >= 500 || status === 429,
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
    // A FhirRequestError is a refusal (foreign origin, oversized body): retrying cannot help.
    return {
      reference,
      status: 'error',
      resource: null,
      message,
      transient: !(error instanceof FhirRequestError),
    };
  }
}
