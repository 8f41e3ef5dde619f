import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api } from '../api/bridge.ts';
import { forgetPatientData, queries } from '../api/queries.ts';
import { derive } from '../feed/derived.ts';
import { uiActions, useUiStore, type View } from '../state/ui-store.ts';

/** The counts every view shows, and the window title: the same numbers as the critical list. */
function Counts({ signedIn }: { signedIn: boolean }) {
  const alerts = useQuery(queries.alerts());
  const { counts } = derive(alerts.data);
  useEffect(() => {
    const parts = [
      counts.openCritical > 0 ? `${counts.openCritical} critical` : null,
      counts.unread > 0 ? `${counts.unread} unread` : null,
    ].filter(Boolean);
    document.title = signedIn && parts.length > 0 ? `(${parts.join(' · ')}) Alert Monitor` : 'Alert Monitor';
  }, [counts.openCritical, counts.unread, signedIn]);
  if (!signedIn) return null;
  return (
    <button
      type="button"
      className={`count-badge${counts.openCritical > 0 ? ' has-critical' : ''}`}
      onClick={() => uiActions.showView('alerts')}
      aria-label={`${counts.openCritical} critical unacknowledged, ${counts.escalated} escalated (open the alert list)`}
    >
      <span className="count-critical">
        <span aria-hidden="true">▲</span> {counts.openCritical} critical
      </span>
      {counts.escalated > 0 ? <span className="count-escalated">{counts.escalated} escalated</span> : null}
    </button>
  );
}

/**
 * The pharmacist's tab names the held orders the prescriber has answered, in every view: she may be
 * reading alerts when one comes (a `worklist` push where the server has the answer topic, else the
 * worklist's own 20 s search).
 */
function WorklistLabel() {
  const list = useQuery(queries.worklist({}));
  const answered = list.data?.items.filter((item) => item.answer !== null).length ?? 0;
  return (
    <>
      Worklist
      {answered > 0 ? <span className="tab-note"> · {answered} answered</span> : null}
    </>
  );
}

export function SessionBar() {
  const client = useQueryClient();
  const session = useQuery(queries.session());
  const view = useUiStore((s) => s.view);
  const largeType = useUiStore((s) => s.largeType);
  const signOut = useMutation({
    mutationFn: () => api.signOut({}),
    onSuccess: (info) => {
      client.setQueryData(queries.session().queryKey, info);
      forgetPatientData(client);
    },
  });
  const info = session.data;
  const signedIn = info?.state === 'signed-in';
  const who = info?.user?.display ?? info?.user?.fhirUser ?? 'unknown user';
  // Each role sees its own view; the role is the identity's (none named: no role view).
  const role = info?.role ?? null;
  const roleTab: [View, string][] =
    role === 'pharmacist' ? [['role', 'Worklist']] : role === 'nurse' ? [['role', 'Ward board']] : [];
  const tabs: [View, string][] = [
    ['alerts', 'Alerts'],
    ...roleTab,
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
              {id === 'role' && role === 'pharmacist' ? <WorklistLabel /> : label}
            </button>
          ))}
        </nav>
      ) : null}
      <Counts signedIn={signedIn} />
      <span
        className="session-state"
        role="status"
        title={signedIn ? `Signed in as ${who} · ${info.server?.name ?? ''}` : undefined}
      >
        {signedIn ? (
          // On a narrow window the words before the name are left to screen readers: on a shared
          // workstation the name is what must stay readable (layout.css).
          <>
            <span className="session-prefix">Signed in as </span>
            <span className="session-name">{who}</span> · {info.server?.name ?? ''}
          </>
        ) : info?.state === 'signing-in' ? (
          'Signing in… complete the sign-in page in your browser.'
        ) : (
          'Signed out'
        )}
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
      <button
        type="button"
        className="tab"
        aria-pressed={largeType}
        onClick={() => uiActions.setLargeType(!largeType)}
      >
        Large type
      </button>
      {signedIn ? (
        <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          Sign out
        </button>
      ) : null}
    </header>
  );
}
