// Browser sessions of the browser host: a used launch link (launch-links.ts) gives the browser a random
// session cookie, HttpOnly and SameSite=Strict. The host keeps only each cookie's SHA-256, in a 0600
// file in the data directory, so a page that holds a session keeps working when the host restarts on
// the same data directory, and nothing on disk can be replayed as a cookie.
//
// A session unused for SESSION_IDLE_MS ends. Browsers send a 127.0.0.1 cookie to every port on that
// address, so a cookie can reach another local program's server; one that stays valid for ever would be
// worth stealing. A page that is open holds an event stream, which counts as use (host.ts), so a
// quiet night on a ward does not end the session of the page watching it.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../lib/private-files.ts';

export const SESSIONS_FILE = 'browser-sessions.json';
/** Sessions remembered at once; the oldest goes first (a browser per launch link). */
const MAX_SESSIONS = 32;
/** A session nobody used for this long (a shift and then some) needs a new launch link. */
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
/** How stale the last-used time on disk may get: a restart forgets at most this much use. */
const PERSIST_USE_EVERY_MS = 10 * 60_000;

const fileSchema = z.object({
  sessions: z
    .array(
      z.object({
        hash: z.string().regex(/^[0-9a-f]{64}$/),
        createdAt: z.string(),
        lastUsedAt: z.string().optional(),
      }),
    )
    .max(1000),
});

interface Session {
  hash: string;
  createdAt: string;
  /** Epoch ms of the last request that carried it. */
  lastUsed: number;
}

export interface BrowserSessions {
  /** A new session: the cookie value to hand to the browser (kept only as a hash). */
  create(): string;
  /**
   * Whether a cookie value is a live session this host (or an earlier run on this data directory)
   * made; counts as a use.
   */
  verify(cookie: string): boolean;
}

const hashOf = (value: string) => createHash('sha256').update(value).digest('hex');

function load(file: string): Session[] {
  try {
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) return [];
    return parsed.data.sessions.map((s) => ({
      hash: s.hash,
      createdAt: s.createdAt,
      lastUsed: Date.parse(s.lastUsedAt ?? s.createdAt) || 0,
    }));
  } catch {
    return []; // first run, or an unreadable file: every browser needs a launch link again
  }
}

export function openBrowserSessions(stateDir: string, now: () => number = Date.now): BrowserSessions {
  const file = join(stateDir, SESSIONS_FILE);
  const sessions = new Map(load(file).map((s) => [s.hash, s]));
  /** When each session's last use was last written to the file. */
  const persistedUse = new Map([...sessions.values()].map((s) => [s.hash, s.lastUsed]));

  const save = () => {
    const list = [...sessions.values()].map((s) => ({
      hash: s.hash,
      createdAt: s.createdAt,
      lastUsedAt: new Date(s.lastUsed).toISOString(),
    }));
    writePrivateFile(file, JSON.stringify({ sessions: list }));
    for (const s of sessions.values()) persistedUse.set(s.hash, s.lastUsed);
  };
  const dropIdle = (at: number) => {
    for (const [hash, s] of sessions) if (at - s.lastUsed > SESSION_IDLE_MS) sessions.delete(hash);
  };

  return {
    create() {
      const cookie = randomBytes(32).toString('base64url');
      const at = now();
      dropIdle(at);
      const hash = hashOf(cookie);
      sessions.set(hash, { hash, createdAt: new Date(at).toISOString(), lastUsed: at });
      // Oldest first out: a Map keeps insertion order.
      for (const old of [...sessions.keys()].slice(0, Math.max(0, sessions.size - MAX_SESSIONS)))
        sessions.delete(old);
      save();
      return cookie;
    },
    verify(cookie) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(cookie)) return false;
      const session = sessions.get(hashOf(cookie));
      if (!session) return false;
      const at = now();
      if (at - session.lastUsed > SESSION_IDLE_MS) {
        sessions.delete(session.hash);
        save();
        return false;
      }
      session.lastUsed = Math.max(session.lastUsed, at);
      if (at - (persistedUse.get(session.hash) ?? 0) > PERSIST_USE_EVERY_MS) save();
      return true;
    },
  };
}
