// Holds the active RuleSet. The rules file path is a parameter: the composition roots resolve it (the
// repo's resources/ under plain Node, process.resourcesPath in a packaged Electron app). A reload that
// fails keeps the previous rules active and reports why; a first load that fails is fatal, because an
// alert monitor without rules must not look like one that is running.
import { readFileSync } from 'node:fs';
import { watchSettled } from './watch-settled.ts';
import type { RulesStatus } from '../../shared/api.ts';
import { parseRulesFile, type RuleSet } from './rules-file.ts';

export interface RulesHolder {
  current(): RuleSet;
  /** Re-read the file; on error the previous rules stay active and the error is returned. */
  reload(): RulesStatus;
  status(): RulesStatus;
  /** Reload when the file changes on disk; returns the stop function. */
  watch(onChange: (status: RulesStatus) => void): () => void;
}

export function loadRulesFile(path: string): RuleSet {
  return parseRulesFile(readFileSync(path, 'utf8'), path);
}

export function createRulesHolder(path: string, now: () => Date = () => new Date()): RulesHolder {
  let rules = loadRulesFile(path);
  let loadedAt = now().toISOString();
  let lastError: string | null = null;

  const status = (): RulesStatus => ({
    path,
    loadedAt,
    thresholdCount: rules.thresholds.length,
    notice: rules.notice,
    lastError,
  });

  const reload = (): RulesStatus => {
    try {
      rules = loadRulesFile(path);
      loadedAt = now().toISOString();
      lastError = null;
    } catch (error) {
      lastError = `${error instanceof Error ? error.message : String(error)} (previous rules stay active)`;
    }
    return status();
  };

  return {
    current: () => rules,
    reload,
    status,
    watch: (onChange) => watchSettled(path, () => onChange(reload())),
  };
}

/** Rules from an in-memory text (tests, and hosts that ship the file inside an archive). */
export function staticRules(rules: RuleSet): RulesHolder {
  const status = (): RulesStatus => ({
    path: null,
    loadedAt: null,
    thresholdCount: rules.thresholds.length,
    notice: rules.notice,
    lastError: null,
  });
  return { current: () => rules, reload: status, status, watch: () => () => undefined };
}

/**
 * Interpretation codes only, no thresholds: what a monitor built without a rules file uses (tests). The
 * composition roots always pass the real file.
 */
export function interpretationOnlyRules(): RulesHolder {
  return staticRules(
    parseRulesFile(
      JSON.stringify({
        notice: 'Interpretation codes only (no threshold table loaded).',
        version: 1,
        interpretationCodes: { critical: ['HH', 'LL', 'AA'], high: ['HU', 'LU'], info: ['H', 'L', 'A', 'N'] },
        medicationRequest: { highPriorities: ['stat', 'asap', 'urgent'] },
        encounter: { tier: 'info' },
        thresholds: [],
      }),
      'built-in rules',
    ),
  );
}
