// HTTP surface of the local SMART authorization server.
import type { FastifyInstance } from 'fastify';
import type { AuthContext } from './context.ts';

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
    id_token_signing_alg_values_supported: ['RS256'],
    subject_types_supported: ['public'],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'fhirUser'],
    scopes_supported: [
      'openid',
      'fhirUser',
      'offline_access',
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

export async function registerAuthRoutes(app: FastifyInstance, ctx: AuthContext): Promise<void> {
  const smartConfigPath = `${new URL(ctx.fhirBase).pathname.replace(/\/+$/, '')}/.well-known/smart-configuration`;
  await app.register(async (scope) => {
    scope.get(smartConfigPath, async (_request, reply) => {
      return reply
        .header('content-type', 'application/json')
        .header('cache-control', 'max-age=300')
        .send(smartConfiguration(ctx));
    });
    scope.get('/auth/.well-known/openid-configuration', async (_request, reply) => {
      return reply.header('content-type', 'application/json').send(smartConfiguration(ctx));
    });
    scope.get('/auth/jwks', async (_request, reply) => {
      return reply.header('content-type', 'application/json').send({ keys: [ctx.signingKey.publicJwk] });
    });
  });
}
