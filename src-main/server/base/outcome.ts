// OperationOutcome construction and the one error type every route throws, so that every failure the
// server reports — validation, authorization, storage — reaches the client as an OperationOutcome.

export type IssueCode =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'not-found'
  | 'deleted'
  | 'conflict'
  | 'security'
  | 'login'
  | 'forbidden'
  | 'not-supported'
  | 'too-costly'
  | 'processing'
  | 'exception'
  | 'informational'
  | 'transient'
  | 'throttled';

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: { severity: 'fatal' | 'error' | 'warning' | 'information'; code: IssueCode; diagnostics: string }[];
}

export function operationOutcome(
  code: IssueCode,
  diagnostics: string,
  severity: 'fatal' | 'error' | 'warning' | 'information' = 'error',
): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }] };
}

/** An HTTP failure carrying the status and the OperationOutcome issue to answer with. */
export class FhirError extends Error {
  readonly status: number;
  readonly code: IssueCode;
  readonly headers: Record<string, string>;
  constructor(status: number, code: IssueCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'FhirError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const badRequest = (message: string): FhirError => new FhirError(400, 'invalid', message);
export const notFound = (message: string): FhirError => new FhirError(404, 'not-found', message);
export const unauthorized = (message: string): FhirError =>
  new FhirError(401, 'login', message, { 'www-authenticate': 'Bearer error="invalid_token"' });
export const forbidden = (message: string): FhirError => new FhirError(403, 'forbidden', message);
