// Workstation preferences the user can change while running (no secrets, no PHI), kept in
// `preferences.json` in the data directory. Read live: a change applies to the next notification.
//
// The defaults live here and only here. Privacy mode is ON by default: a notification on a lock screen
// or a shared monitor then names the test and the bed, never the patient or the value
// (src-main/core/alerting/notification-text.ts). A deployment may choose otherwise by passing its own
// defaults; what the user changes on this workstation is kept and wins over both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../lib/private-files.ts';
import type { Preferences } from '../shared/api.ts';

export const DEFAULT_PREFERENCES: Readonly<Preferences> = {
  privacyMode: true,
  notifyHigh: false,
  audibleCue: true,
};

const schema = z.object({ privacyMode: z.boolean(), notifyHigh: z.boolean(), audibleCue: z.boolean() });
/** A file written by an older version lacks the newer fields: those keep their defaults. */
const storedSchema = schema.partial();

export interface PreferenceStore {
  get(): Preferences;
  set(change: Partial<Preferences>): Preferences;
}

/** `deployment`: defaults a deployment chooses instead of DEFAULT_PREFERENCES (fields left out keep them). */
export function openPreferences(dataDir: string, deployment: Partial<Preferences> = {}): PreferenceStore {
  const path = join(dataDir, 'preferences.json');
  let current: Preferences = { ...DEFAULT_PREFERENCES, ...deployment };
  try {
    const parsed = storedSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) current = { ...current, ...withoutUndefined(parsed.data) };
  } catch {
    // first run, or an unreadable file: the defaults stand until the user changes something
  }
  return {
    get: () => current,
    set(change) {
      current = schema.parse({ ...current, ...withoutUndefined(change) });
      writePrivateFile(path, JSON.stringify(current));
      return current;
    },
  };
}

function withoutUndefined(change: Partial<Preferences>): Partial<Preferences> {
  return Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
}
