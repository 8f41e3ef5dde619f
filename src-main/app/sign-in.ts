// The SMART standalone launch against any FHIR server the user or the deployment chose, the embedded
// demo server included: discovery, PKCE S256, `state`, `aud`, the authorization page opened by the host
// and a loopback redirect (docs/auth.md). Plain http is allowed only to a loopback FHIR base, which is
// where the embedded server listens. The authorization page must be on the FHIR server's own host or
// on an origin the deployment configuration allows for that server (`authorizationOrigins`): a
// discovery answer naming any other page is refused before the user is sent there, in both hosts.
import { DEFAULT_SCOPES, resumeSession, signInInteractive, type SecretStore } from '../core/auth/index.ts';
import { isLoopbackUrl } from '../core/auth/discovery.ts';
import type { Logger } from '../core/log.ts';
import type { ServerChoice, SignedInSession, SignInContext } from '../core/service.ts';

export interface SmartSignIn {
  /** Interactive sign-in; the host's `context.openUrl` shows the authorization page to the user. */
  signIn(server: ServerChoice, context: SignInContext): Promise<SignedInSession>;
  /** Silent sign-in with the refresh token a previous run stored; null without a secret store. */
  resume(server: ServerChoice): Promise<SignedInSession | null>;
}

/** Why the authorization page at `url` may not be shown for `server`; null when it may. */
export function authorizationUrlRefusal(
  url: string,
  server: Pick<ServerChoice, 'fhirBase' | 'authorizationOrigins'>,
): string | null {
  if (!URL.canParse(url)) return 'the server named an authorization page that is not a URL';
  const target = new URL(url);
  const base = new URL(server.fhirBase);
  if (target.username || target.password) return 'the authorization page URL carries credentials';
  if ((server.authorizationOrigins ?? []).includes(target.origin)) return null;
  if (target.protocol === 'https:' && target.hostname === base.hostname) return null;
  if (target.protocol === 'http:' && target.host === base.host && isLoopbackUrl(server.fhirBase)) return null;
  return `the authorization page is on ${target.origin}, which is not allowed for ${base.origin} (authorizationOrigins in the configuration)`;
}

export function createSmartSignIn(options: {
  logger: Logger;
  /** Where a refresh token may be kept at rest; omit to keep it in memory only. */
  secretStore?: SecretStore;
}): SmartSignIn {
  const logger = options.logger.child({ component: 'auth' });
  const secretStore = options.secretStore;
  return {
    signIn: (server, context) =>
      signInInteractive({
        fhirBase: server.fhirBase,
        clientId: server.clientId,
        scopes: server.scopes ?? DEFAULT_SCOPES[server.role],
        ...(server.redirectPort ? { redirectPort: server.redirectPort } : {}),
        openUrl: async (url) => {
          const refusal = authorizationUrlRefusal(url, server);
          if (refusal) throw new Error(refusal);
          await context.openUrl(url);
        },
        allowInsecureLoopback: isLoopbackUrl(server.fhirBase),
        secretStore,
        logger,
      }),
    resume: async (server) =>
      secretStore
        ? resumeSession({
            fhirBase: server.fhirBase,
            clientId: server.clientId,
            secretStore,
            allowInsecureLoopback: isLoopbackUrl(server.fhirBase),
            logger,
          })
        : null,
  };
}
