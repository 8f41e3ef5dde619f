// The error every OAuth endpoint answers with (RFC 6749 §5.2 JSON, or a redirect from /authorize), and
// the form parameters the endpoints read.
export class OAuthError extends Error {
  readonly error: string;
  readonly status: number;
  constructor(error: string, description: string, status = 400) {
    super(description);
    this.error = error;
    this.status = status;
  }
}

export type Params = Record<string, string>;
