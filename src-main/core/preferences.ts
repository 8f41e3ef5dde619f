// Workstation preferences the user can change while running (no secrets, no PHI), kept in
// `preferences.json` in the data directory. Read live: a change applies to the next notification.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../lib/private-files.ts';
import type { Preferences } from '../shared/api.ts';

const schema = z.object({ privacyMode: z.boolean(), notifyHigh: z.boolean() });

export interface PreferenceStore {
  get(): Preferences;
  set(change: Partial<Preferences>): Preferences;
}

export function openPreferences(dataDir: string, defaults: Preferences): PreferenceStore {
  const path = join(dataDir, 'preferences.json');
  let current: Preferences = defaults;
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) current = parsed.data;
  } catch {
    // first run, or an unreadable file: the defaults stand until the user changes something
  }
  return {
    get: () => current,
    set(change) {
      current = schema.parse({ ...current, ...change });
      writePrivateFile(path, JSON.stringify(current));
      return current;
    },
  };
}
