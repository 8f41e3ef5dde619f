// Browser sessions of the browser host: a used launch link (launch-links.ts) gives the browser a random
// session cookie, HttpOnly and SameSite=Strict. The host keeps only each cookie's SHA-256, in a 0600
// file in the data directory, so a page that holds a session keeps working when the host restarts on
// the same data directory, and nothing on disk can be replayed as a cookie.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../lib/private-files.ts';

export const SESSIONS_FILE = 'browser-sessions.json';
/** Sessions remembered at once; the oldest goes first (a browser per launch link). */
const MAX_SESSIONS = 32;

const fileSchema = z.object({
  sessions: z.array(z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/), createdAt: z.string() })).max(1000),
});

export interface BrowserSessions {
  /** A new session: the cookie value to hand to the browser (kept only as a hash). */
  create(): string;
  /** Whether a cookie value is a session this host (or an earlier run on this data directory) made. */
  verify(cookie: string): boolean;
}

const hashOf = (value: string) => createHash('sha256').update(value).digest('hex');

function load(file: string): Array<{ hash: string; createdAt: string }> {
  try {
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data.sessions : [];
  } catch {
    return []; // first run, or an unreadable file: every browser needs a launch link again
  }
}

export function openBrowserSessions(stateDir: string): BrowserSessions {
  const file = join(stateDir, SESSIONS_FILE);
  let sessions = load(file);
  let known = new Set(sessions.map((s) => s.hash));
  return {
    create() {
      const cookie = randomBytes(32).toString('base64url');
      sessions = [...sessions, { hash: hashOf(cookie), createdAt: new Date().toISOString() }].slice(
        -MAX_SESSIONS,
      );
      known = new Set(sessions.map((s) => s.hash));
      writePrivateFile(file, JSON.stringify({ sessions }));
      return cookie;
    },
    verify: (cookie) => /^[A-Za-z0-9_-]{43}$/.test(cookie) && known.has(hashOf(cookie)),
  };
}
