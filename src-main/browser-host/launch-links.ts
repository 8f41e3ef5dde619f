// Launch links of the browser host: `http://127.0.0.1:PORT/?launch=<secret>`. A link works once and
// for at most a minute; using it gives the browser a separate session cookie (sessions.ts), so the
// secret is never a credential that replays. A fresh unused link is always waiting in a 0600 file in
// the data directory (`launch.html`, a page that redirects to it): the browser opener is given that
// file's path, so no secret ever appears on a command line or in the process list.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { writePrivateFile } from '../lib/private-files.ts';

export const LAUNCH_FILE = 'launch.html';
/** A link stops working this long after it was made. */
export const LAUNCH_TTL_MS = 60_000;
/** Links not older than this are handed out; older ones are replaced first, so a fresh one has time. */
const HAND_OUT_WITHIN_MS = LAUNCH_TTL_MS / 2;
/** Outstanding links at once (each opener or reader may hold one). */
const MAX_OUTSTANDING = 8;

interface Link {
  secret: string;
  madeAt: number;
}

export interface LaunchLinks {
  /** The 0600 page carrying a fresh link. */
  file: string;
  /** An unused link with at least half its minute left (made now if needed, and written to the file). */
  fresh(): string;
  /** Use a link's secret: true once, within its minute; the file then gets a new link. */
  consume(secret: string): boolean;
  stop(): void;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function launchPage(url: string): string {
  // The URL is ours (origin + base64url secret): nothing in it needs escaping for HTML.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0; url=${url}"><title>Alert Monitor</title></head>
<body><p><a href="${url}">Open Alert Monitor</a> (this link works once, for one minute).</p></body></html>
`;
}

export function createLaunchLinks(options: {
  origin: string;
  stateDir: string;
  now?: () => number;
}): LaunchLinks {
  const now = options.now ?? Date.now;
  const file = join(options.stateDir, LAUNCH_FILE);
  let links: Link[] = [];
  const urlOf = (link: Link) => `${options.origin}/?launch=${link.secret}`;

  const live = (link: Link) => now() - link.madeAt < LAUNCH_TTL_MS;
  function mint(): Link {
    links = links.filter(live).slice(-(MAX_OUTSTANDING - 1));
    const link = { secret: randomBytes(32).toString('base64url'), madeAt: now() };
    links.push(link);
    writePrivateFile(file, launchPage(urlOf(link)));
    return link;
  }
  function fresh(): string {
    const newest = links.at(-1);
    const usable = newest && now() - newest.madeAt < HAND_OUT_WITHIN_MS ? newest : mint();
    return urlOf(usable);
  }
  // The file must never hold a dead link: replace it before half its life is gone.
  const refresher = setInterval(() => void fresh(), HAND_OUT_WITHIN_MS / 2);
  refresher.unref();
  mint();

  return {
    file,
    fresh,
    consume(secret) {
      const found = links.find((link) => sameSecret(link.secret, secret));
      if (!found) return false;
      links = links.filter((link) => link !== found);
      if (!live(found)) return false;
      mint();
      return true;
    },
    stop: () => clearInterval(refresher),
  };
}
