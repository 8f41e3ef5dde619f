// Which Medplum the interop run talks to, from the environment (scripts/interop-medplum.ts lists the
// variables), and whether it answers.

export const origin = (process.env['MEDPLUM_BASE_URL'] ?? 'http://127.0.0.1:8103').replace(/\/+$/, '');
export const fhirBase = `${origin}/fhir/R4`;
export const redirectPort = Number(process.env['INTEROP_REDIRECT_PORT'] ?? '47113');
export const redirectUri = `http://127.0.0.1:${redirectPort}/callback`;

/** Why Medplum cannot be used, or null when its health check says it is up. */
export async function reachable(): Promise<string | null> {
  try {
    const res = await fetch(`${origin}/healthcheck`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return `${origin}/healthcheck answered ${res.status}`;
    const body = (await res.json()) as { ok?: boolean; version?: string };
    return body.ok ? null : `${origin}/healthcheck says the server is not ok`;
  } catch (error) {
    return `nothing answers at ${origin} (${error instanceof Error ? error.message : String(error)})`;
  }
}
