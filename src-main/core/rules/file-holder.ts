// Holds what a watched configuration file says (the critical-value rules, the order checks): the path
// is a parameter (the composition roots resolve it), a first load that fails is fatal to the caller, a
// reload that fails keeps the previous content active and says why, and the status is shown in Settings.
import { readFileSync } from 'node:fs';
import { watchSettled } from './watch-settled.ts';

/** What every file's status says besides its own summary. */
export interface FileState {
  path: string | null;
  loadedAt: string | null;
  lastError: string | null;
}

export interface FileHolder<T, S> {
  current(): T;
  /** Re-read the file; on error the previous content stays active and the error is in the status. */
  reload(): S;
  status(): S;
  /** Reload when the file changes on disk; returns the stop function. */
  watch(onChange: (status: S) => void): () => void;
}

export interface FileKind<T, D> {
  parse(text: string, path: string): T;
  /** The file's own part of the status (counts, notice). */
  describe(content: T): D;
  /** What stays active after a failed reload, in words: "rules", "checks". */
  name: string;
}

export function createFileHolder<T, D>(
  path: string,
  kind: FileKind<T, D>,
  now: () => Date = () => new Date(),
): FileHolder<T, FileState & D> {
  const load = () => kind.parse(readFileSync(path, 'utf8'), path);
  let content = load();
  let loadedAt = now().toISOString();
  let lastError: string | null = null;
  const status = (): FileState & D => ({ path, loadedAt, lastError, ...kind.describe(content) });
  const reload = (): FileState & D => {
    try {
      content = load();
      loadedAt = now().toISOString();
      lastError = null;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      lastError = `${why} (previous ${kind.name} stay active)`;
    }
    return status();
  };
  return {
    current: () => content,
    reload,
    status,
    watch: (onChange) => watchSettled(path, () => onChange(reload())),
  };
}

/** Content fixed in memory, no file behind it (tests, built-in defaults). */
export function fixedHolder<T, D>(content: T, describe: (content: T) => D): FileHolder<T, FileState & D> {
  const status = (): FileState & D => ({ path: null, loadedAt: null, lastError: null, ...describe(content) });
  return { current: () => content, reload: status, status, watch: () => () => undefined };
}
