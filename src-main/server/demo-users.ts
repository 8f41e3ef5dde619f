// The demo people of local mode. The simulator creates their Practitioner resources; the authorization
// server's demo sign-in page offers them; their grants carry the ward labels they may see and never more
// than their role's ceiling (base/roles.ts, THE scope policy).
import type { RoleName } from './base/roles.ts';

export interface DemoUser {
  /** Login id and Practitioner id. */
  id: string;
  display: string;
  role: RoleName;
  /** `meta.security` codes (system WARD_LABEL_SYSTEM, base/authz.ts) this user may see. */
  wards: string[];
}

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
];

/** The public client id the desktop app uses against the local authorization server. */
export const DEMO_CLIENT_ID = 'alert-monitor-desktop';
