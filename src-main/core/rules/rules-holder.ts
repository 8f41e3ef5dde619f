// Holds the active RuleSet. The rules file path is a parameter: the composition roots resolve it (the
// repo's resources/ under plain Node, process.resourcesPath in a packaged Electron app). A reload that
// fails keeps the previous rules active and reports why; a first load that fails is fatal, because an
// alert monitor without rules must not look like one that is running.
import { readFileSync } from 'node:fs';
import type { RulesStatus } from '../../shared/api.ts';
import { createFileHolder, fixedHolder, type FileHolder, type FileKind } from './file-holder.ts';
import { parseRulesFile, type RuleSet } from './rules-file.ts';

export type RulesHolder = FileHolder<RuleSet, RulesStatus>;

const RULES: FileKind<RuleSet, Pick<RulesStatus, 'thresholdCount' | 'notice'>> = {
  parse: parseRulesFile,
  describe: (rules) => ({ thresholdCount: rules.thresholds.length, notice: rules.notice }),
  name: 'rules',
};

export function loadRulesFile(path: string): RuleSet {
  return parseRulesFile(readFileSync(path, 'utf8'), path);
}

export function createRulesHolder(path: string, now?: () => Date): RulesHolder {
  return createFileHolder(path, RULES, now);
}

/** Rules from an in-memory text (tests, and hosts that ship the file inside an archive). */
export function staticRules(rules: RuleSet): RulesHolder {
  return fixedHolder(rules, RULES.describe);
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
