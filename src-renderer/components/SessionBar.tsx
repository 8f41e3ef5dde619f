import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/bridge.ts';
import { forgetPatientData, queries } from '../api/queries.ts';
import { uiActions, useUiStore, type View } from '../state/ui-store.ts';

export function SessionBar() {
  const client = useQueryClient();
  const session = useQuery(queries.session());
  const view = useUiStore((s) => s.view);
  const role = useUiStore((s) => s.role);
  const signOut = useMutation({
    mutationFn: () => api.signOut({}),
    onSuccess: (info) => {
      client.setQueryData(queries.session().queryKey, info);
      forgetPatientData(client);
    },
  });
  const info = session.data;
  const signedIn = info?.state === 'signed-in';
  const tabs: [View, string][] = [
    ['alerts', 'Alerts'],
    ['role', role === 'pharmacist' ? 'Order queue' : 'Ward board'],
    ['health', 'Health'],
    ['settings', 'Settings'],
  ];
  return (
    <header className="session-bar">
      <h1>Alert Monitor</h1>
      {signedIn ? (
        <nav aria-label="Views" className="views">
          {tabs.map(([id, label]) => (
            <button
              key={id}
              type="button"
              className={view === id ? 'tab active' : 'tab'}
              aria-current={view === id ? 'page' : undefined}
              onClick={() => uiActions.showView(id)}
            >
              {label}
            </button>
          ))}
        </nav>
      ) : null}
      <span className="session-state" role="status">
        {signedIn
          ? `Signed in as ${info.user?.display ?? info.user?.fhirUser ?? 'unknown user'} · ${info.server?.name ?? ''}`
          : info?.state === 'signing-in'
            ? 'Signing in… complete the sign-in page in your browser.'
            : 'Signed out'}
      </span>
      {info?.state === 'signing-in' && info.authorizationUrl ? (
        <a
          className="continue-sign-in"
          href={info.authorizationUrl}
          target="_blank"
          rel="noopener noreferrer"
        >
          Open the sign-in page
        </a>
      ) : null}
      {signedIn ? (
        <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          Sign out
        </button>
      ) : null}
    </header>
  );
}
