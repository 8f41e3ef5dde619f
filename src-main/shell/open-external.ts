// shell.openExternal is a way out of the sandbox: only the SMART authorization URL of the server the
// user chose may go through it, never anything the page asks for.
import { shell } from 'electron';

/**
 * True when `url` is an http(s) URL on the same host as the configured FHIR server (or loopback), or
 * an https URL on one of the origins the deployment configuration allows for that server.
 */
export function isAuthorizationUrlFor(
  url: string,
  fhirBase: string,
  allowedOrigins: readonly string[] = [],
): boolean {
  let target: URL;
  let server: URL;
  try {
    target = new URL(url);
    server = new URL(fhirBase);
  } catch {
    return false;
  }
  if (target.username || target.password) return false;
  if (target.protocol === 'https:' && allowedOrigins.includes(target.origin)) return true;
  if (target.protocol === 'https:') return target.hostname === server.hostname;
  // Plain http only for the embedded local-mode server on loopback.
  return (
    target.protocol === 'http:' &&
    target.host === server.host &&
    ['127.0.0.1', '[::1]'].includes(server.hostname)
  );
}

export async function openAuthorizationUrl(
  url: string,
  fhirBase: string,
  allowedOrigins: readonly string[] = [],
): Promise<void> {
  if (!isAuthorizationUrlFor(url, fhirBase, allowedOrigins))
    throw new Error('refusing to open a URL outside the configured server');
  // Electronegativity annotation: only the configured server's SMART authorization URL reaches this
  // line (isAuthorizationUrlFor above; asserted in test/main/proof/hardening.test.ts).
  await shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK
}
