// Fastify plumbing shared by every FHIR route: body parsing for both JSON media types, the 1 MiB body
// limit, bearer authentication, and the error handler that turns every failure into an OperationOutcome.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pino from 'pino';
import type { AccessGrant, TokenVerifier } from './grant.ts';
import type { IssueCode } from './outcome.ts';
import { FhirError, operationOutcome, unauthorized } from './outcome.ts';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
export const BODY_LIMIT = 1024 * 1024;
/**
 * Deepest nesting a request body may have. FHIR resources nest a dozen levels; a body nested tens of
 * thousands deep would overflow the stack of every recursive walk after parsing (JSON.stringify first).
 */
export const MAX_JSON_DEPTH = 64;

/** Whether parsed JSON nests deeper than `limit` (iterative, so the check itself cannot overflow). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

export function authenticate(request: FastifyRequest, verifier: TokenVerifier): AccessGrant {
  const header = request.headers.authorization;
  if (!header) throw unauthorized('A bearer token is required');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw unauthorized('The Authorization header must be "Bearer <token>"');
  const grant = verifier.verify(match[1]);
  if (!grant) throw unauthorized('The token is invalid, expired or revoked');
  return grant;
}

export function sendOutcome(
  reply: FastifyReply,
  status: number,
  code: IssueCode,
  message: string,
): FastifyReply {
  return reply.code(status).type(FHIR_JSON).send(operationOutcome(code, message));
}

function statusCodeOf(error: FastifyError): number {
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

const CODES: Record<number, IssueCode> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  406: 'not-supported',
  409: 'conflict',
  410: 'deleted',
  412: 'conflict',
  413: 'too-costly',
  421: 'security',
  429: 'throttled',
  415: 'not-supported',
};

export function installFhirErrorHandling(app: FastifyInstance, logger: pino.Logger | undefined): void {
  const parseJson = (
    _request: FastifyRequest,
    body: string | Buffer,
    done: (e: Error | null, v?: unknown) => void,
  ) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim().length === 0) return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(new FhirError(400, 'structure', 'The request body is not valid JSON'));
    }
    if (nestsDeeperThan(parsed, MAX_JSON_DEPTH)) {
      return done(
        new FhirError(400, 'structure', `The request body nests deeper than ${MAX_JSON_DEPTH} levels`),
      );
    }
    done(null, parsed);
  };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', 'application/fhir+json'], { parseAs: 'string' }, parseJson);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof FhirError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return sendOutcome(reply, error.status, error.code, error.message);
    }
    const status = statusCodeOf(error);
    if (status >= 500) {
      logger?.error({ err: error, url: request.routeOptions.url }, 'request failed');
      return sendOutcome(reply, 500, 'exception', 'Internal server error');
    }
    const message =
      status === 413 ? `The request body exceeds ${BODY_LIMIT} bytes` : (error.message ?? 'Request failed');
    return sendOutcome(reply, status, CODES[status] ?? 'processing', message);
  });
  app.setNotFoundHandler((request, reply) =>
    sendOutcome(reply, 404, 'not-found', `No route for ${request.method} ${request.url.split('?')[0] ?? ''}`),
  );
}

/**
 * Errors Fastify raises before any route runs (a malformed percent-encoded path, an invalid media type):
 * answered like every other failure, as an OperationOutcome (Fastify's `frameworkErrors` option).
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = statusCodeOf(error);
  const message = status === 400 ? 'The request URL or headers are malformed' : 'Request failed';
  void sendOutcome(reply, status, CODES[status] ?? (status >= 500 ? 'exception' : 'processing'), message);
}

/** Query string as ordered name/value pairs (repeats kept), as FHIR search needs. */
export function queryPairs(request: FastifyRequest): [string, string][] {
  const q = request.url.indexOf('?');
  if (q < 0) return [];
  return [...new URLSearchParams(request.url.slice(q + 1)).entries()];
}
