import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/bridge.ts';
import { queries } from '../api/queries.ts';

type Role = 'nurse' | 'pharmacist';

export function SessionBar() {
  const client = useQueryClient();
  const session = useQuery(queries.session());
  const [role, setRole] = useState<Role>('nurse');
  const signIn = useMutation({
    mutationFn: () => api.signIn({ role }),
    onSuccess: (info) => {
      client.setQueryData(queries.session().queryKey, info);
      // In the browser host the page is the user's browser: open the server's sign-in page beside it.
      // (Electron opens the system browser itself; there `window.open` is denied by the shell.)
      if (info.authorizationUrl) window.open(info.authorizationUrl, '_blank', 'noopener');
    },
  });
  const signOut = useMutation({
    mutationFn: () => api.signOut({}),
    onSuccess: (info) => client.setQueryData(queries.session().queryKey, info),
  });
  const info = session.data;
  return (
    <header className="session-bar">
      <h1>Alert Monitor</h1>
      <span className="session-state" role="status">
        {info?.state === 'signed-in'
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
      {info?.state === 'signed-in' ? (
        <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          Sign out
        </button>
      ) : (
        <>
          <label className="role-picker">
            Role{' '}
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="nurse">Charge nurse</option>
              <option value="pharmacist">Pharmacist</option>
            </select>
          </label>
          <button
            type="button"
            onClick={() => signIn.mutate()}
            disabled={signIn.isPending || info?.state === 'signing-in'}
          >
            Sign in to the local demo
          </button>
        </>
      )}
    </header>
  );
}
