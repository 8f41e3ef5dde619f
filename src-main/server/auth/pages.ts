// Server-rendered pages of the authorization endpoint: the demo sign-in/consent page and the error page
// shown when the redirect URI cannot be trusted. No scripts, no external assets; every value is escaped.
import { ROLE_POLICIES } from '../base/roles.ts';
import type { DemoUser } from '../demo-users.ts';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** CSP for these pages: nothing but inline styles; forms post to this origin; no framing (clickjacking). */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f6f8; color: #1b1f24; }
  main { max-width: 34rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px;
         box-shadow: 0 1px 4px rgba(0,0,0,.15); }
  h1 { font-size: 1.4rem; margin-top: 0; }
  fieldset { border: 1px solid #c5cbd3; border-radius: 6px; margin: 1rem 0; padding: 0.5rem 1rem 1rem; }
  legend { font-weight: 600; padding: 0 .25rem; }
  .option { display: flex; gap: .5rem; align-items: center; margin: .5rem 0; }
  input[type=radio] { width: 1.2rem; height: 1.2rem; }
  label { cursor: pointer; }
  .buttons { display: flex; gap: 1rem; margin-top: 1.5rem; }
  button { font: inherit; padding: .6rem 1.4rem; border-radius: 6px; border: 1px solid #0b5cad; cursor: pointer; }
  button.approve { background: #0b5cad; color: #fff; }
  button.deny { background: #fff; color: #0b5cad; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
  .error { color: #a10000; font-weight: 600; }
  code { font-size: .9em; background: #eef1f4; padding: 0 .2rem; border-radius: 3px; }
  ul.scopes { margin: .25rem 0; padding-left: 1.25rem; }
  .grant { margin: 0 0 .75rem 1.7rem; font-size: .9rem; }
  .grant p { margin: .25rem 0 0; }
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** A demo user offered on the page with exactly what approving as them grants (auth/policy.ts). */
export interface UserChoice {
  user: DemoUser;
  granted: readonly string[];
  refused: readonly string[];
}

export interface SignInPageInput {
  requestId: string;
  clientId: string;
  /** What the application asked for. */
  scopes: readonly string[];
  users: readonly UserChoice[];
  /** Present when `launch/patient` was requested. */
  patientChoice: { patients: { id: string; display: string }[] | null } | null;
  error?: string;
  selectedUser?: string;
}

const scopeList = (scopes: readonly string[]): string =>
  `<ul class="scopes">${scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}</ul>`;

function renderChoice(choice: UserChoice, index: number, selectedUser: string | undefined): string {
  const { user, granted, refused } = choice;
  const id = `user-${index}`;
  const checked = selectedUser === user.id ? ' checked' : '';
  const role = ROLE_POLICIES[user.role].title;
  const grants = granted.length > 0 ? scopeList(granted) : '<p>Nothing.</p>';
  const refusals =
    refused.length > 0
      ? `<p>Not granted to a ${escapeHtml(role.toLowerCase())}:</p>${scopeList(refused)}`
      : '';
  const wards =
    user.wards.length > 0 ? `data of ${user.wards.map(escapeHtml).join(', ')} only` : 'no patient data';
  return `<div class="option"><input type="radio" id="${id}" name="user" value="${escapeHtml(user.id)}" required${checked} aria-describedby="${id}-grant"><label for="${id}">${escapeHtml(user.display)}</label></div>
<div class="grant" id="${id}-grant"><p>Approving as this ${escapeHtml(role.toLowerCase())} (${wards}) grants exactly:</p>${grants}${refusals}</div>`;
}

export function renderSignInPage(input: SignInPageInput): string {
  const users = input.users
    .map((choice, index) => renderChoice(choice, index, input.selectedUser))
    .join('\n');
  let patient = '';
  if (input.patientChoice) {
    const patients = input.patientChoice.patients;
    patient =
      patients && patients.length > 0
        ? `<p><label for="patient">Patient in context</label><br><select id="patient" name="patient" required>
<option value="">Choose a patient…</option>
${patients.map((p) => `<option value="${escapeHtml(p.id)}">${escapeHtml(p.display)}</option>`).join('\n')}
</select></p>`
        : `<p><label for="patient">Patient in context (Patient id)</label><br><input type="text" id="patient" name="patient" required pattern="[A-Za-z0-9\\-.]{1,64}" autocomplete="off"></p>`;
  }
  const error = input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : '';
  return layout(
    'Sign in – local alert monitor',
    `<h1>Sign in to the local alert monitor</h1>
<p>The application <code>${escapeHtml(input.clientId)}</code> asks for access to:</p>
${scopeList(input.scopes)}
<p>What is granted depends on who signs in: each role has a limit, shown under each name.</p>
${error}
<form method="post" action="/auth/authorize/decision">
<input type="hidden" name="request" value="${escapeHtml(input.requestId)}">
<fieldset>
<legend>Demo user</legend>
${users}
</fieldset>
${patient}
<div class="buttons">
<button type="submit" class="approve" name="decision" value="approve">Approve and sign in</button>
<button type="submit" class="deny" name="decision" value="deny" formnovalidate>Deny</button>
</div>
</form>`,
  );
}

export function renderErrorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p role="alert">${escapeHtml(message)}</p>`);
}
