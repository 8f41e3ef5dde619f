import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/bridge.ts';
import { queries } from '../api/queries.ts';

export function SessionBar() {
  const client = useQueryClient();
  const session = useQuery(queries.session());
  const signIn = useMutation({
    mutationFn: () => api.signIn({}),
    onSuccess: (info) => client.setQueryData(queries.session().queryKey, info),
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
            ? 'Signing in…'
            : 'Signed out'}
      </span>
      {info?.state === 'signed-in' ? (
        <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          Sign out
        </button>
      ) : (
        <button
          type="button"
          onClick={() => signIn.mutate()}
          disabled={signIn.isPending || info?.state === 'signing-in'}
        >
          Sign in to the local demo
        </button>
      )}
    </header>
  );
}
