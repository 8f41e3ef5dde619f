// HTTP surface of the local SMART authorization server: discovery, authorize (GET/POST) with the demo
// sign-in page, token, revocation, introspection and JWKS. Mounted in an encapsulated Fastify plugin so its
// form parser and error handling do not leak into the FHIR routes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { field, num } from '../../shared/fhir-json.ts';
import { DEMO_USERS } from '../demo-users.ts';
import type { AuthContext } from './context.ts';
import {
  OAuthError,
  RedirectableError,
  UntrustedRedirectError,
  approve,
  authorizationRedirect,
  findDemoUser,
  introspectionRequest,
  isPendingRequest,
  revocationRequest,
  tokenRequest,
  validateAuthorizeRequest,
} from './oauth.ts';
import type { Params, PendingRequest } from './oauth.ts';
import { PAGE_HEADERS, renderErrorPage, renderSignInPage } from './pages.ts';
import { grantForUser, hasResourceScope } from './policy.ts';

export const SMART_CAPABILITIES = [
  'launch-standalone',
  'authorize-post',
  'client-public',
  'client-confidential-asymmetric',
  'permission-v1',
  'permission-v2',
  'permission-offline',
  'permission-patient',
  'permission-user',
  'sso-openid-connect',
  'context-banner',
  'context-standalone-patient',
];

export function smartConfiguration(ctx: AuthContext): Record<string, unknown> {
  return {
    issuer: ctx.issuer,
    jwks_uri: ctx.endpoints.jwks,
    authorization_endpoint: ctx.endpoints.authorize,
    token_endpoint: ctx.endpoints.token,
    revocation_endpoint: ctx.endpoints.revoke,
    introspection_endpoint: ctx.endpoints.introspect,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    revocation_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    introspection_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    id_token_signing_alg_values_supported: ['RS256'],
    subject_types_supported: ['public'],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'fhirUser'],
    scopes_supported: [
      'openid',
      'fhirUser',
      'offline_access',
      'online_access',
      'launch/patient',
      'user/*.cruds',
      'patient/*.cruds',
      'system/*.cruds',
    ],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    capabilities: SMART_CAPABILITIES,
  };
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const FORM = 'application/x-www-form-urlencoded';

interface ParsedForm {
  params: Params;
  duplicates: string[];
}

function toParams(search: URLSearchParams): ParsedForm {
  const params: Params = {};
  const duplicates: string[] = [];
  for (const [key, value] of search) {
    if (key in params) {
      if (!duplicates.includes(key)) duplicates.push(key);
    } else {
      params[key] = value;
    }
  }
  return { params, duplicates };
}

function formOf(request: FastifyRequest): ParsedForm {
  if (!isParsedForm(request.body))
    throw new OAuthError('invalid_request', `the request body must be ${FORM}`);
  return request.body;
}

function isParsedForm(body: unknown): body is ParsedForm {
  return typeof body === 'object' && body !== null && 'params' in body && 'duplicates' in body;
}

function oauthParams(request: FastifyRequest): Params {
  const { params, duplicates } = formOf(request);
  if (duplicates.length > 0)
    throw new OAuthError('invalid_request', `parameters repeated: ${duplicates.join(', ')}`);
  return params;
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).headers(PAGE_HEADERS).send(html);
}

export async function registerAuthRoutes(app: FastifyInstance, ctx: AuthContext): Promise<void> {
  const smartConfigPath = `${new URL(ctx.fhirBase).pathname.replace(/\/+$/, '')}/.well-known/smart-configuration`;
  const users = DEMO_USERS;

  // Discovery lives under the FHIR base; it is JSON whatever the Accept header says (SMART conformance).
  await app.register(async (scope) => {
    scope.get(smartConfigPath, async (_request, reply) =>
      reply
        .header('content-type', 'application/json')
        .header('cache-control', 'max-age=60')
        .send(smartConfiguration(ctx)),
    );
  });

  await app.register(
    async (scope) => {
      scope.addContentTypeParser(
        FORM,
        { parseAs: 'string', bodyLimit: 64 * 1024 },
        (_request, body, done) => {
          done(null, toParams(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
        },
      );

      scope.setErrorHandler((error, request, reply) => {
        // The matched route, not the raw URL: the router decodes `/auth/%61uthorize` to this route too.
        if (request.routeOptions.url?.startsWith('/auth/authorize')) {
          if (error instanceof RedirectableError) {
            return reply
              .status(303)
              .headers(NO_STORE)
              .header(
                'location',
                authorizationRedirect(ctx, error.redirectUri, {
                  error: error.error,
                  error_description: error.message,
                  state: error.state,
                }),
              )
              .send();
          }
          const message =
            error instanceof UntrustedRedirectError || error instanceof OAuthError
              ? error.message
              : 'The sign-in request could not be processed.';
          if (!(error instanceof UntrustedRedirectError || error instanceof OAuthError)) {
            ctx.logger?.error({ err: error }, 'auth: authorize failed');
          }
          return sendHtml(reply, 400, renderErrorPage('Sign-in request rejected', message));
        }
        if (error instanceof OAuthError) {
          return reply
            .status(error.status)
            .headers(NO_STORE)
            .send({ error: error.error, error_description: error.message });
        }
        // A Fastify error (body parsing, limits) carries its own status; anything else is ours: 500.
        const statusCode = num(field(error, 'statusCode'));
        const status = statusCode !== null && statusCode < 500 ? statusCode : 500;
        const errorMessage = field(error, 'message');
        const message = typeof errorMessage === 'string' ? errorMessage : 'bad request';
        if (status === 500) ctx.logger?.error({ err: error }, 'auth: request failed');
        return reply
          .status(status)
          .headers(NO_STORE)
          .send(
            status === 500
              ? { error: 'server_error', error_description: 'internal error' }
              : { error: 'invalid_request', error_description: message },
          );
      });

      scope.setNotFoundHandler((_request, reply) =>
        reply
          .status(404)
          .headers(NO_STORE)
          .send({ error: 'invalid_request', error_description: 'unknown endpoint' }),
      );

      scope.get('/.well-known/openid-configuration', async (_request, reply) =>
        reply.header('content-type', 'application/json').send(smartConfiguration(ctx)),
      );

      scope.get('/jwks', async (_request, reply) =>
        reply.header('content-type', 'application/json').send({ keys: [ctx.signingKey.publicJwk] }),
      );

      const authorize = async (form: ParsedForm, reply: FastifyReply) => {
        const pending = validateAuthorizeRequest(ctx, form.params, form.duplicates);
        const requestId = ctx.store.savePendingRequest(pending, Date.now(), ctx.requestTtlMs);
        return sendHtml(reply, 200, signInPage(ctx, requestId, pending, users));
      };
      scope.get('/authorize', async (request, reply) => {
        const query = new URL(request.url, 'http://localhost').searchParams;
        return authorize(toParams(query), reply);
      });
      scope.post('/authorize', async (request, reply) => authorize(formOf(request), reply));

      scope.post('/authorize/decision', async (request, reply) => {
        const { params } = formOf(request);
        const requestId = params.request ?? '';
        const now = Date.now();
        const pending = ctx.store.peekPendingRequest(requestId, now);
        if (!isPendingRequest(pending)) {
          return sendHtml(
            reply,
            400,
            renderErrorPage(
              'Sign-in expired',
              'This sign-in request has expired or was already used. Start again from the app.',
            ),
          );
        }
        if (params.decision === 'deny') {
          ctx.store.takePendingRequest(requestId, now);
          return reply
            .status(303)
            .headers(NO_STORE)
            .header(
              'location',
              authorizationRedirect(ctx, pending.redirectUri, {
                error: 'access_denied',
                error_description: 'the user denied the request',
                state: pending.state,
              }),
            )
            .send();
        }
        const user = findDemoUser(params.user);
        if (params.decision !== 'approve' || !user) {
          return sendHtml(
            reply,
            400,
            signInPage(ctx, requestId, pending, users, 'Choose a demo user, then approve.'),
          );
        }
        let patient: string | null = null;
        if (pending.launchPatient) {
          patient = (params.patient ?? '').trim();
          if (!/^[A-Za-z0-9\-.]{1,64}$/.test(patient)) {
            return sendHtml(
              reply,
              400,
              signInPage(ctx, requestId, pending, users, 'Choose the patient in context.', user.id),
            );
          }
        }
        // Exactly what the page showed for this user: the request within the role's ceiling.
        const { granted } = grantForUser(pending.scopes, user);
        if (!hasResourceScope(granted)) {
          return sendHtml(
            reply,
            400,
            signInPage(
              ctx,
              requestId,
              pending,
              users,
              `${user.display} cannot be granted any of the access this application asks for. Choose another user or deny.`,
              user.id,
            ),
          );
        }
        if (!isPendingRequest(ctx.store.takePendingRequest(requestId, now))) {
          return sendHtml(
            reply,
            400,
            renderErrorPage('Sign-in expired', 'This sign-in request was already used.'),
          );
        }
        ctx.logger?.info({ clientId: pending.clientId, user: user.id }, 'auth: sign-in approved');
        return reply
          .status(303)
          .headers(NO_STORE)
          .header('location', approve(ctx, pending, user, granted, patient))
          .send();
      });

      scope.post('/token', async (request, reply) => {
        const body = await tokenRequest(ctx, oauthParams(request), request.headers.authorization);
        return reply.status(200).headers(NO_STORE).send(body);
      });

      scope.post('/revoke', async (request, reply) => {
        await revocationRequest(ctx, oauthParams(request), request.headers.authorization);
        return reply.status(200).headers(NO_STORE).send();
      });

      scope.post('/introspect', async (request, reply) => {
        const body = await introspectionRequest(ctx, oauthParams(request), request.headers.authorization);
        return reply.status(200).headers(NO_STORE).send(body);
      });
    },
    { prefix: '/auth' },
  );
}

function signInPage(
  ctx: AuthContext,
  requestId: string,
  pending: PendingRequest,
  users: typeof DEMO_USERS,
  error?: string,
  selectedUser?: string,
): string {
  return renderSignInPage({
    requestId,
    clientId: pending.clientId,
    scopes: pending.scopes,
    users: users.map((user) => ({ user, ...grantForUser(pending.scopes, user) })),
    patientChoice: pending.launchPatient ? { patients: ctx.listPatients?.() ?? null } : null,
    ...(error === undefined ? {} : { error }),
    ...(selectedUser === undefined ? {} : { selectedUser }),
  });
}
