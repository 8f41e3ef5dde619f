// The SMART standalone launch against any FHIR server the user or the deployment chose, the embedded
// demo server included: discovery, PKCE S256, `state`, `aud`, the authorization page opened by the host
// and a loopback redirect (docs/auth.md). Plain http is allowed only to a loopback FHIR base, which is
// where the embedded server listens.
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
        openUrl: context.openUrl,
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
