import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/bridge.ts';
import { queries } from '../api/queries.ts';
import {
  explainReason,
  forgetServer,
  loadServers,
  rememberAfterSignIn,
  type RememberedServer,
} from '../state/servers.ts';

type Choice = { kind: 'demo' } | { kind: 'remembered'; server: RememberedServer } | { kind: 'new' };
type SignInArgs = Omit<RememberedServer, 'fhirBase' | 'clientId'> & { fhirBase?: string; clientId?: string };

/**
 * In the browser host the page is the user's browser: the server's sign-in page opens in a tab beside
 * it. The tab is opened within the click (a user gesture) and pointed at the page once the host has its
 * address: opened only after the host answered, a slow answer (discovery on a slow network, a loaded
 * machine) outlives the click's activation and the browser blocks the tab. The tab cannot reach back
 * into this page (no opener). Electron opens the system browser itself.
 */
function openSignInTab(): Window | null {
  const tab = window.open('about:blank', '_blank');
  if (tab) tab.opener = null;
  return tab;
}

/** Point the tab at the server's sign-in page, or close it when there is none to show. */
function showSignInPage(tab: Window | null, authorizationUrl: string | null): void {
  if (!tab || tab.closed) return;
  if (authorizationUrl) tab.location.replace(authorizationUrl);
  else tab.close();
}

export function SignInPanel() {
  const client = useQueryClient();
  const session = useQuery(queries.session());
  const [servers, setServers] = useState(loadServers);
  const [choice, setChoice] = useState<Choice>({ kind: 'demo' });
  const [url, setUrl] = useState('');
  const [clientId, setClientId] = useState('');
  const [remember, setRemember] = useState(true);
  const [redirectPort, setRedirectPort] = useState('');
  const [scopes, setScopes] = useState('');
  const [formError, setFormError] = useState<string | null>(null);

  const host = useQuery(queries.hostInfo());
  const signIn = useMutation({
    // No role is chosen here: the host learns it from the signed-in identity (SessionInfo.role).
    mutationFn: (args: SignInArgs) => api.signIn(args),
    onError: () => rememberAfterSignIn(null),
    onSuccess: (info) => client.setQueryData(queries.session().queryKey, info),
  });
  /** Sign in; in the browser host with the sign-in tab opened now, within the click. */
  const startSignIn = (args: SignInArgs) => {
    // Electron denies `window.open` and opens the system browser itself; a host not known yet is tried.
    const tab = host.data?.kind === 'electron' ? null : openSignInTab();
    signIn.mutate(args, {
      onSuccess: (info) => showSignInPage(tab, info.authorizationUrl),
      onError: () => tab?.close(),
    });
  };

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    setFormError(null);
    rememberAfterSignIn(null);
    if (choice.kind === 'demo') return startSignIn({});
    if (choice.kind === 'remembered') return startSignIn(choice.server);
    let parsed: URL;
    try {
      parsed = new URL(url.trim());
    } catch {
      return setFormError('Enter the FHIR server’s base URL, e.g. https://fhir.example.org/r4');
    }
    if (parsed.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))
      return setFormError('Use https:// (plain http is allowed only for this computer).');
    if (!clientId.trim()) return setFormError('Enter the client id registered for this app at the server.');
    const port = redirectPort.trim() === '' ? undefined : Number(redirectPort);
    if (port !== undefined && !(Number.isInteger(port) && port >= 1024 && port <= 65535))
      return setFormError('The redirect port must be a whole number from 1024 to 65535, or empty.');
    const scopeList = scopes.split(/\s+/).filter(Boolean);
    const server: RememberedServer = {
      fhirBase: parsed.toString().replace(/\/$/, ''),
      clientId: clientId.trim(),
      ...(port !== undefined ? { redirectPort: port } : {}),
      ...(scopeList.length > 0 ? { scopes: scopeList } : {}),
    };
    // Remembered once the sign-in succeeds (App settles it), never a server that failed.
    rememberAfterSignIn(remember ? server : null);
    startSignIn(server);
  };

  const info = session.data;
  const busy = signIn.isPending || info?.state === 'signing-in';
  // Where a sign-in without a named server goes: the local demo, or the deployment's server. A ward
  // screen signs in to the ward's server only, so it offers nothing else.
  const target = info?.workstation?.signInTo;
  const wardScreen = info?.workstation?.mode === 'ward';
  const configuredName = target && !target.localDemo ? target.name : null;
  const reason = info?.reason ?? null;
  const failed = reason !== null && reason.startsWith('Sign-in failed');
  return (
    <section className="sign-in" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign in</h2>
      {reason ? (
        <p className={failed ? 'state state-error' : 'state'} role={failed ? 'alert' : 'status'}>
          {explainReason(reason)}
        </p>
      ) : (
        <p>Sign in to receive alerts.</p>
      )}
      {signIn.isError ? (
        <p role="alert" className="state state-error">
          {explainReason(signIn.error.message)}
        </p>
      ) : null}
      {formError ? (
        <p role="alert" className="state state-error">
          {formError}
        </p>
      ) : null}
      <form onSubmit={submit} className="sign-in-form">
        <p className="muted">
          Your views follow the role your hospital gives your sign-in (charge nurse, pharmacist).
        </p>
        <fieldset>
          <legend>Server</legend>
          <label>
            <input
              type="radio"
              name="server"
              checked={choice.kind === 'demo'}
              onChange={() => setChoice({ kind: 'demo' })}
            />{' '}
            {configuredName ?? 'Local demo (this computer, simulated wards)'}
          </label>
          {(wardScreen ? [] : servers).map((s) => (
            <span key={s.fhirBase} className="remembered">
              <label>
                <input
                  type="radio"
                  name="server"
                  checked={choice.kind === 'remembered' && choice.server.fhirBase === s.fhirBase}
                  onChange={() => setChoice({ kind: 'remembered', server: s })}
                />{' '}
                {new URL(s.fhirBase).host}{' '}
                <span className="muted">
                  ({s.fhirBase}, client {s.clientId})
                </span>
              </label>
              <button
                type="button"
                className="link"
                onClick={() => {
                  setServers(forgetServer(s.fhirBase));
                  setChoice({ kind: 'demo' });
                }}
                aria-label={`Forget ${s.fhirBase}`}
              >
                Forget
              </button>
            </span>
          ))}
          {wardScreen ? null : (
            <label>
              <input
                type="radio"
                name="server"
                checked={choice.kind === 'new'}
                onChange={() => setChoice({ kind: 'new' })}
              />{' '}
              A hospital FHIR server
            </label>
          )}
          {choice.kind === 'new' ? (
            <div className="new-server">
              <label>
                FHIR base URL
                <input
                  type="url"
                  value={url}
                  onChange={(e) => setUrl(e.target.value)}
                  placeholder="https://fhir.example.org/r4"
                  required
                />
              </label>
              <label>
                Client id
                <input
                  type="text"
                  value={clientId}
                  onChange={(e) => setClientId(e.target.value)}
                  maxLength={256}
                  required
                />
              </label>
              <details className="advanced">
                <summary>Advanced (for integration engineers)</summary>
                <label>
                  Fixed redirect port (only if the server matches redirect URIs exactly; empty picks a free
                  one)
                  <input
                    type="number"
                    inputMode="numeric"
                    min={1024}
                    max={65535}
                    value={redirectPort}
                    onChange={(e) => setRedirectPort(e.target.value)}
                  />
                </label>
                <label>
                  Scopes (space-separated; empty uses the app's defaults, narrowed by the server to your role)
                  <textarea value={scopes} onChange={(e) => setScopes(e.target.value)} rows={3} />
                </label>
              </details>
              <label>
                <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />{' '}
                Remember this server (no passwords or tokens are stored)
              </label>
            </div>
          ) : null}
        </fieldset>
        <button type="submit" className="primary" disabled={busy}>
          {choice.kind !== 'demo'
            ? 'Sign in'
            : configuredName
              ? `Sign in to ${configuredName}`
              : 'Sign in to the local demo'}
        </button>
      </form>
    </section>
  );
}
