// Fastify plumbing shared by every FHIR route: body parsing for both JSON media types, the 1 MiB body
// limit, bearer authentication, and the error handler that turns every failure into an OperationOutcome.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pino from 'pino';
import type { AccessGrant, TokenVerifier } from './grant.ts';
import type { IssueCode } from './outcome.ts';
import { FhirError, operationOutcome, unauthorized } from './outcome.ts';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
export const BODY_LIMIT = 1024 * 1024;

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
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new FhirError(400, 'structure', 'The request body is not valid JSON'));
    }
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

/** Query string as ordered name/value pairs (repeats kept), as FHIR search needs. */
export function queryPairs(request: FastifyRequest): [string, string][] {
  const q = request.url.indexOf('?');
  if (q < 0) return [];
  return [...new URLSearchParams(request.url.slice(q + 1)).entries()];
}
