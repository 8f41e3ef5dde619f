// The demo people of local mode. The simulator creates their Practitioner resources and, from
// `demoCareTeam`, who holds which role on which ward (PractitionerRoles) and each ward's team of nurses
// (a Group): what an escalation step is addressed to (docs/alerting.md, "Escalation to people"). The
// authorization server's demo sign-in page offers them; their grants carry the ward labels they may see
// and never more than their role's ceiling (base/roles.ts, THE scope policy).
import { WARD_LABEL_SYSTEM } from './base/authz.ts';
import type { RoleName } from './base/roles.ts';
import type { FhirResource } from './base/types.ts';

export interface DemoUser {
  /** Login id and Practitioner id. */
  id: string;
  display: string;
  role: RoleName;
  /** `meta.security` codes (system WARD_LABEL_SYSTEM, base/authz.ts) this user may see. */
  wards: string[];
}

// New people are appended: the sign-in page lists them in this order (tests address them by position).
export const DEMO_USERS: readonly DemoUser[] = [
  {
    id: 'nurse-a',
    display: 'Alex Rivera, RN (charge nurse, Ward A)',
    role: 'charge-nurse',
    wards: ['ward-a'],
  },
  {
    id: 'nurse-b',
    display: 'Sam Okafor, RN (charge nurse, Ward B)',
    role: 'charge-nurse',
    wards: ['ward-b'],
  },
  {
    id: 'pharmacist',
    display: 'Jordan Lee, PharmD (pharmacist, all wards)',
    role: 'pharmacist',
    wards: ['ward-a', 'ward-b'],
  },
  {
    id: 'admin',
    display: 'Casey Morgan (administrator: staff and locations, no patient data)',
    role: 'admin',
    wards: [],
  },
  { id: 'nurse-a2', display: 'Riley Chen, RN (Ward A)', role: 'nurse', wards: ['ward-a'] },
  { id: 'nurse-a3', display: 'Morgan Patel, RN (Ward A)', role: 'nurse', wards: ['ward-a'] },
  { id: 'nurse-b2', display: 'Dana Kim, RN (Ward B)', role: 'nurse', wards: ['ward-b'] },
];

/** The public client id the desktop app uses against the local authorization server. */
export const DEMO_CLIENT_ID = 'alert-monitor-desktop';

/** PractitionerRole.code and Group.code: the care roles an escalation policy names. */
export const CARE_ROLE_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/care-role';

/** Roles that hold a post on a ward (administrators hold none). */
const WARD_ROLES: ReadonlySet<RoleName> = new Set(['nurse', 'charge-nurse', 'pharmacist']);

const wardName = (ward: string) => `Ward ${ward.replace('ward-', '').toUpperCase()}`;

/** The PractitionerRole id of `user` on `ward`. */
export const practitionerRoleId = (userId: string, ward: string): string => `${userId}-${ward}`;

/** The id of the Group of a ward's nurses. */
export const wardNursesGroupId = (ward: string): string => `${ward}-nurses`;

function roleCode(role: RoleName) {
  return { coding: [{ system: CARE_ROLE_SYSTEM, code: role }], text: role.replace('-', ' ') };
}

/** A demo user's Practitioner resource. */
export function demoPractitioner(user: DemoUser): FhirResource & { id: string } {
  return { resourceType: 'Practitioner', id: user.id, active: true, name: [{ text: user.display }] };
}

/**
 * The demo's directory of who is on duty where: one PractitionerRole per person and ward (shared
 * directory data, no ward label), and per ward a Group of its nurses (members: their PractitionerRoles),
 * labelled with its ward.
 */
export function demoCareTeam(wards: readonly string[]): Array<FhirResource & { id: string }> {
  const roles = DEMO_USERS.filter((user) => WARD_ROLES.has(user.role)).flatMap((user) =>
    user.wards
      .filter((ward) => wards.includes(ward))
      .map((ward) => ({
        resourceType: 'PractitionerRole',
        id: practitionerRoleId(user.id, ward),
        active: true,
        practitioner: { reference: `Practitioner/${user.id}`, display: user.display },
        code: [roleCode(user.role)],
        location: [{ reference: `Location/${ward}`, display: wardName(ward) }],
      })),
  );
  const groups = wards.map((ward) => ({
    resourceType: 'Group',
    id: wardNursesGroupId(ward),
    // A ward's team is that ward's business: labelled like its patients (docs/server.md, "Ward labels").
    meta: { security: [{ system: WARD_LABEL_SYSTEM, code: ward, display: wardName(ward) }] },
    type: 'practitioner',
    actual: true,
    active: true,
    name: `${wardName(ward)} nurses`,
    code: roleCode('nurse'),
    member: DEMO_USERS.filter((user) => user.role === 'nurse' && user.wards.includes(ward)).map((user) => ({
      entity: { reference: `PractitionerRole/${practitionerRoleId(user.id, ward)}`, display: user.display },
    })),
  }));
  return [...roles, ...groups];
}
