// A refreshed ID token without `aud`. OpenID Connect Core 1.0 §12.2 (Successful Refresh Response) says
// an ID token returned from a refresh must carry the same `iss`, `sub` and `aud` as the one issued at
// the original authentication, a new `iat`, and the original `auth_time`/`azp`. Some SMART servers
// send a refreshed ID token without `aud` (docs/auth.md); openid-client rejects the whole token
// response for it, which used to sign the user out and throw away a refresh token the server had
// already rotated — although the access token was fine.
//
// The rule here: the token response itself (access token, rotated refresh token, expiry) comes straight
// from the token endpoint and stands on its own (RFC 6749 §6: a refresh answer need not carry an ID
// token at all). When openid-client's only objection is the missing `aud`, and the token's signature
// (checked before the claim checks) and its `iss` and `sub` match the original authentication, the
// response is accepted and the refreshed ID token's claims are not used: the identity stays the one
// verified at sign-in. Any other ID-token objection (a different `sub` or `iss`, a foreign `aud`) is not
// accepted: the renewal fails and is retried, never signing the user out for it.
import type pino from 'pino';
import * as oc from 'openid-client';
import { bool, num, parseJson, record, str } from '../../shared/fhir-json.ts';

/** The fields of a token response the session uses, whatever produced it. */
export interface TokenFields {
  accessToken: string;
  expiresIn: number | null;
  refreshToken: string | null;
  scope: string | null;
  /** From a validated ID token only. */
  fhirUser: string | null;
  patient: string | null;
  needPatientBanner: boolean | null;
  /** `iss` and `sub` of the validated ID token, kept to compare refreshed ID tokens with (§12.2). */
  identity: { iss: string; sub: string } | null;
}

export type TokenResponse = oc.TokenEndpointResponse & oc.TokenEndpointResponseHelpers;

/** The session's view of a token response that openid-client validated. */
export function tokenFields(tokens: TokenResponse): TokenFields {
  const claims = tokens.claims();
  const string = (name: string): string | null => {
    const value = tokens[name];
    return typeof value === 'string' && value.length > 0 ? value : null;
  };
  return {
    accessToken: tokens.access_token,
    expiresIn: tokens.expiresIn() ?? null,
    refreshToken: tokens.refresh_token ?? null,
    scope: string('scope'),
    fhirUser: claims && typeof claims.fhirUser === 'string' ? claims.fhirUser : null,
    patient: string('patient'),
    needPatientBanner: typeof tokens.need_patient_banner === 'boolean' ? tokens.need_patient_banner : null,
    identity: claims ? { iss: claims.iss, sub: claims.sub } : null,
  };
}

/** The claims openid-client had verified the signature of before it objected, if the objection is `aud` missing. */
function claimsOfMissingAud(error: unknown): { iss: unknown; sub: unknown; fhirUser: unknown } | null {
  if (!(error instanceof oc.ClientError) || error.code !== 'OAUTH_INVALID_RESPONSE') return null;
  const cause: unknown = error.cause;
  if (!(cause instanceof Error) || !/"aud" \(audience\) claim missing/.test(cause.message)) return null;
  const claims = record(record(cause.cause)?.['claims']);
  return claims ? { iss: claims['iss'], sub: claims['sub'], fhirUser: claims['fhirUser'] } : null;
}

/**
 * Watches the token endpoint's answers so that a response openid-client rejected for a refreshed ID
 * token without `aud` can still be used (see the file comment). Installed on the session's own
 * openid-client configuration.
 */
export class RefreshResponseTap {
  private lastBody: string | null = null;

  constructor(config: oc.Configuration) {
    const tokenEndpoint = config.serverMetadata().token_endpoint;
    const previous = config[oc.customFetch];
    config[oc.customFetch] = async (url, options) => {
      // A copy of a byte body satisfies fetch's stricter BodyInit type; token requests send form text.
      const body = options.body instanceof Uint8Array ? new Uint8Array(options.body) : options.body;
      const response = await (previous ? previous(url, options) : fetch(url, { ...options, body }));
      if (url === tokenEndpoint && response.ok) {
        this.lastBody = await response
          .clone()
          .text()
          .catch(() => null);
      }
      return response;
    };
  }

  /**
   * The tokens of a refresh whose only fault was a refreshed ID token without `aud`, whose `iss` and
   * `sub` are those of `identity` (the original authentication); null when that is not the case.
   * Resuming a stored sign-in has no original ID token: then `identity` is null and only the issuer
   * (`issuer`) can be compared, and the signed `fhirUser` claim names the user.
   */
  acceptMissingAud(
    error: unknown,
    identity: { iss: string; sub: string } | null,
    logger: pino.Logger | undefined,
    issuer?: string,
  ): TokenFields | null {
    const claims = claimsOfMissingAud(error);
    const body = this.lastBody;
    this.lastBody = null;
    if (claims === null || body === null) return null;
    const { iss, sub } = claims;
    if (typeof iss !== 'string' || typeof sub !== 'string') return null;
    if (identity !== null ? iss !== identity.iss || sub !== identity.sub : iss !== issuer) return null;
    const json = record(parseJson(body));
    const accessToken = str(json?.['access_token']);
    if (json === null || accessToken === null) return null;
    logger?.warn(
      'auth: the refreshed ID token has no "aud" (OpenID Connect Core §12.2); kept the sign-in identity and used the new tokens',
    );
    return {
      accessToken,
      expiresIn: num(json['expires_in']),
      refreshToken: str(json['refresh_token']),
      scope: str(json['scope']),
      fhirUser: identity === null ? str(claims.fhirUser) : null,
      patient: str(json['patient']),
      needPatientBanner: bool(json['need_patient_banner']),
      identity: identity ?? { iss, sub },
    };
  }

  /** Forget a captured answer (after a refresh openid-client accepted). */
  clear(): void {
    this.lastBody = null;
  }
}
