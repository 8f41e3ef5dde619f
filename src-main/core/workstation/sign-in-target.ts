// Where a sign-in goes: the server the call names (with its configured settings when the deployment
// configured it), else the default one; a ward workstation signs in to the ward's server only, since
// its alerts live there and nowhere else.

/** The part of a server choice this decision needs; the rest travels along unchanged. */
export interface ServerTarget {
  fhirBase: string;
  name: string;
  clientId: string;
}

export interface TargetRules<T extends ServerTarget> {
  defaultServer: T | null;
  configuredServers: readonly T[];
  /** A ward workstation's server; null on a personal workstation. */
  wardServer: ServerTarget | null;
}

/** The server to sign in to, or why there is none (in words for the sign-in page). */
export function signInTarget<T extends ServerTarget>(
  args: { fhirBase?: string; clientId?: string },
  rules: TargetRules<T>,
): T | ServerTarget | string {
  const fhirBase = args.fhirBase?.replace(/\/$/, '');
  const configured = fhirBase ? rules.configuredServers.find((s) => s.fhirBase === fhirBase) : undefined;
  const named: T | ServerTarget | null = fhirBase
    ? configured
      ? { ...configured, clientId: args.clientId ?? configured.clientId }
      : { fhirBase, name: new URL(fhirBase).host, clientId: args.clientId ?? '' }
    : null;
  if (rules.wardServer && named && named.fhirBase !== rules.wardServer.fhirBase)
    return `This ward workstation signs in to ${rules.wardServer.name} only.`;
  const base = named ?? rules.defaultServer;
  if (!base) return 'No server configured: enter a FHIR server URL and client id.';
  if (!base.clientId) return 'A client id is required for this server.';
  return base;
}
