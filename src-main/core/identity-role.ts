// The signed-in user's role from her identity: fhirUser → her PractitionerRole(s) on the server
// (`PractitionerRole?practitioner=<fhirUser>`), read once at sign-in with her own token. Never a local
// choice: a user whose server says nothing has no role (null), and the renderer says so
// (docs/pharmacy.md, "Role"). The same read names the PractitionerRoles an escalation step may be
// addressed to (docs/alerting.md, "Escalation").
import type { UserRole } from '../shared/api.ts';
import { arr, codings, str } from '../shared/fhir-json.ts';
import type { FhirAccess } from './fhir/fhir-client.ts';
import { searchResources } from './views.ts';

/** The embedded server's care-role codes (its role names) and the HL7 practitioner-role codes. */
const APP_ROLE_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/care-role';
const HL7_ROLE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/practitioner-role';

const ROLE_CODES: Record<string, Record<string, UserRole>> = {
  [APP_ROLE_SYSTEM]: { pharmacist: 'pharmacist', nurse: 'nurse', 'charge-nurse': 'nurse' },
  [HL7_ROLE_SYSTEM]: { pharmacist: 'pharmacist', nurse: 'nurse' },
};

/** The role a set of PractitionerRole codings names; a pharmacist code wins over a nurse code. */
export function roleFromCodes(
  codes: readonly { system: string | null; code: string | null }[],
): UserRole | null {
  const roles = codes.flatMap((c) => {
    const role = c.system && c.code ? ROLE_CODES[c.system]?.[c.code] : undefined;
    return role ? [role] : [];
  });
  if (roles.includes('pharmacist')) return 'pharmacist';
  return roles[0] ?? null;
}

/** Who the signed-in person is at her server: her role, and her active PractitionerRoles by reference. */
export interface IdentityRoles {
  role: UserRole | null;
  practitionerRoles: readonly string[];
  /** Why the server's answer could not be read (then she has no role here); null when it was. */
  unread: string | null;
}

const NO_ROLES: IdentityRoles = { role: null, practitionerRoles: [], unread: null };

/** Her active PractitionerRoles; none when she is no Practitioner or the server does not answer. */
export async function readIdentityRoles(access: FhirAccess, fhirUser: string | null): Promise<IdentityRoles> {
  if (!fhirUser || !/^Practitioner\/[A-Za-z0-9\-.]{1,64}$/.test(fhirUser)) return NO_ROLES;
  const found = await searchResources(access, 'PractitionerRole', [
    ['practitioner', fhirUser],
    ['_count', '20'],
  ]);
  if (found.status !== 'ok')
    return { ...NO_ROLES, unread: `PractitionerRole search: ${found.message ?? found.status}` };
  const active = found.resources.filter((r) => r['active'] !== false);
  return {
    role: roleFromCodes(active.flatMap((r) => arr(r['code']).flatMap(codings))),
    practitionerRoles: active.flatMap((r) => {
      const id = str(r['id']);
      return id ? [`PractitionerRole/${id}`] : [];
    }),
    unread: null,
  };
}
