import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, openPreferences } from '../../../src-main/core/preferences.ts';

const defaults = { privacyMode: false, notifyHigh: false };

describe('preferences', () => {
  it('persist a change across a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prefs-'));
    expect(openPreferences(dir, defaults).set({ privacyMode: true })).toEqual({
      privacyMode: true,
      notifyHigh: false,
      audibleCue: true,
    });
    expect(openPreferences(dir, defaults).get()).toEqual({
      privacyMode: true,
      notifyHigh: false,
      audibleCue: true,
    });
  });

  it('fall back to the defaults when the file is damaged, and refuse bad values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prefs-'));
    writeFileSync(join(dir, 'preferences.json'), '{"privacyMode": "yes"');
    const prefs = openPreferences(dir, defaults);
    expect(prefs.get()).toEqual({ ...defaults, audibleCue: true });
    expect(() => prefs.set({ notifyHigh: 'yes' as unknown as boolean })).toThrow();
    expect(prefs.get()).toEqual({ ...defaults, audibleCue: true });
  });

  it('turn privacy mode and the audible cue on when nothing else is chosen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prefs-'));
    expect(DEFAULT_PREFERENCES).toEqual({ privacyMode: true, notifyHigh: false, audibleCue: true });
    expect(openPreferences(dir).get()).toEqual(DEFAULT_PREFERENCES);
  });

  it('keep the defaults for fields a file from an older version does not have', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prefs-'));
    writeFileSync(join(dir, 'preferences.json'), '{"privacyMode": false, "notifyHigh": true}');
    expect(openPreferences(dir).get()).toEqual({ privacyMode: false, notifyHigh: true, audibleCue: true });
  });
});
