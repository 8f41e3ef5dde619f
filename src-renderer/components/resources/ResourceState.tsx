import type { ResourceView, SearchView } from '../../../src-main/shared/api.ts';

/** Loading, error, "no longer available" and "not permitted" — one look everywhere. */
export function ResourceState({
  what,
  pending,
  error,
  view,
}: {
  what: string;
  pending: boolean;
  error: Error | null;
  view: Pick<ResourceView | SearchView, 'status' | 'message'> | undefined;
}) {
  if (pending) return <p className="state state-loading">Loading {what}…</p>;
  if (error)
    return (
      <p className="state state-error" role="alert">
        Could not load {what}: {error.message}
      </p>
    );
  if (!view || view.status === 'ok') return null;
  const word =
    view.status === 'gone'
      ? 'No longer available'
      : view.status === 'forbidden'
        ? 'Not permitted'
        : view.status === 'pending'
          ? 'Pending'
          : 'Error';
  return (
    <p className={`state state-${view.status}`} role="status">
      <strong>{word}:</strong> {view.message ?? `${what} could not be shown.`}
    </p>
  );
}
