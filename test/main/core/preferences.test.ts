import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPreferences } from '../../../src-main/core/preferences.ts';

const defaults = { privacyMode: false, notifyHigh: false };

describe('preferences', () => {
  it('persist a change across a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prefs-'));
    expect(openPreferences(dir, defaults).set({ privacyMode: true })).toEqual({
      privacyMode: true,
      notifyHigh: false,
    });
    expect(openPreferences(dir, defaults).get()).toEqual({ privacyMode: true, notifyHigh: false });
  });

  it('fall back to the defaults when the file is damaged, and refuse bad values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prefs-'));
    writeFileSync(join(dir, 'preferences.json'), '{"privacyMode": "yes"');
    const prefs = openPreferences(dir, defaults);
    expect(prefs.get()).toEqual(defaults);
    expect(() => prefs.set({ notifyHigh: 'yes' as unknown as boolean })).toThrow();
    expect(prefs.get()).toEqual(defaults);
  });
});
