// What the resource server knows about a caller once its bearer token is verified. The FHIR REST
// routes, the SSE and websocket channels and the event filter all authorise against this.

export interface AccessGrant {
  /** Token id (for revocation and logs; never the token itself). */
  tokenId: string;
  /** Authorization grant this token belongs to; revoking the grant revokes all its tokens. */
  grantId: string;
  clientId: string;
  /** The user (or, for backend services, the client) the token acts for. */
  subject: string;
  /** SMART `fhirUser`, relative reference, e.g. `Practitioner/nurse-a`; null for backend services. */
  fhirUser: string | null;
  /** Granted SMART v2 scopes, e.g. `user/Observation.rs`, `system/*.rs`. */
  scopes: string[];
  /** `meta.security` codes the caller may see, e.g. `ward-a`. A resource is visible only if every one of
   * its access labels is in this list. */
  securityLabels: string[];
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface TokenVerifier {
  /** The grant for a live token, or null when it is unknown, expired or revoked. */
  verify(bearerToken: string): AccessGrant | null;
  /** Called with the grant ids whose tokens were revoked, so open streams can be closed. */
  onRevoked(listener: (grantIds: readonly string[]) => void): () => void;
}
