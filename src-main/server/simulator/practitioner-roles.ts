// Each demo user's role as a PractitionerRole, so a client learns the signed-in user's role from the
// server (fhirUser -> PractitionerRole?practitioner=…), never from a local choice. The role code is
// given twice: this server's role name (base/roles.ts) and the nearest HL7 practitioner-role code.
import type { FhirResource } from '../base/types.ts';
import type { RoleName } from '../base/roles.ts';
import { DEMO_USERS } from '../demo-users.ts';

export const ROLE_CODE_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/role';
const HL7_ROLE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/practitioner-role';

const HL7_CODES: Partial<Record<RoleName, string>> = {
  nurse: 'nurse',
  'charge-nurse': 'nurse',
  pharmacist: 'pharmacist',
  admin: 'ict',
};

export function demoPractitionerRoles(): (FhirResource & { id: string })[] {
  return DEMO_USERS.map((user) => {
    const hl7 = HL7_CODES[user.role];
    return {
      resourceType: 'PractitionerRole',
      id: `role-${user.id}`,
      active: true,
      practitioner: { reference: `Practitioner/${user.id}`, display: user.display },
      code: [
        {
          coding: [
            { system: ROLE_CODE_SYSTEM, code: user.role },
            ...(hl7 ? [{ system: HL7_ROLE_SYSTEM, code: hl7 }] : []),
          ],
        },
      ],
      location: user.wards.map((ward) => ({ reference: `Location/${ward}` })),
    };
  });
}
