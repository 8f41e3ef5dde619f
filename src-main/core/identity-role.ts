// The signed-in user's role from her identity: fhirUser → her PractitionerRole(s) on the server
// (`PractitionerRole?practitioner=<fhirUser>`), read with her own token. Never a local choice: a user
// whose server says nothing has no role (null), and the renderer says so (docs/pharmacy.md, "Role").
import type { UserRole } from '../shared/api.ts';
import { arr, codings } from '../shared/fhir-json.ts';
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

export async function roleOfIdentity(access: FhirAccess, fhirUser: string | null): Promise<UserRole | null> {
  if (!fhirUser || !/^Practitioner\/[A-Za-z0-9\-.]{1,64}$/.test(fhirUser)) return null;
  const found = await searchResources(access, 'PractitionerRole', [
    ['practitioner', fhirUser],
    ['_count', '20'],
  ]);
  if (found.status !== 'ok') return null;
  return roleFromCodes(
    found.resources.filter((r) => r['active'] !== false).flatMap((r) => arr(r['code']).flatMap(codings)),
  );
}
