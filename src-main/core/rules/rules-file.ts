// The editable rules file (resources/rules/critical-values.json): parsed, validated and turned into a
// RuleSet, or refused with one message that names the bad entry and its line. The engine never runs a
// half-valid file: the caller keeps the previous rules when this throws.
import { field } from '../../shared/fhir-json.ts';
import { z } from 'zod';
import { isKnownUnit } from './units.ts';

export const RULE_TIERS = ['critical', 'high'] as const;

const INTERPRETATION_CODE = z.string().regex(/^[A-Za-z<>]{1,4}$/, 'an interpretation code like HH');

const thresholdSchema = z
  .object({
    /** Unique, stable id used in messages and the audit trail. */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a lower-case id like "potassium"'),
    analyte: z.string().min(1).max(80),
    /** Short label for notifications ("K"). */
    short: z.string().min(1).max(12),
    loinc: z.array(z.string()).min(1),
    unit: z.string().min(1),
    /** Fires when value < low (or <= low with lowInclusive). */
    low: z.number().finite().nullable().default(null),
    /** Fires when value > high (or >= high with highInclusive). */
    high: z.number().finite().nullable().default(null),
    lowInclusive: z.boolean().default(false),
    highInclusive: z.boolean().default(false),
    tier: z.enum(RULE_TIERS).default('critical'),
    molarMass: z.number().positive().optional(),
    valence: z.number().int().positive().optional(),
    note: z.string().max(500).optional(),
  })
  .strict();

const fileSchema = z
  .object({
    notice: z.string().min(1),
    version: z.literal(1),
    interpretationCodes: z
      .object({
        critical: z.array(INTERPRETATION_CODE),
        high: z.array(INTERPRETATION_CODE),
        info: z.array(INTERPRETATION_CODE),
      })
      .strict(),
    medicationRequest: z
      .object({ highPriorities: z.array(z.enum(['routine', 'urgent', 'asap', 'stat'])) })
      .strict(),
    encounter: z.object({ tier: z.literal('info') }).strict(),
    thresholds: z.array(z.unknown()),
  })
  .strict();

export type ThresholdRule = z.output<typeof thresholdSchema>;

export interface RuleSet {
  notice: string;
  interpretation: { critical: Set<string>; high: Set<string>; info: Set<string> };
  highPriorities: Set<string>;
  thresholds: ThresholdRule[];
  /** LOINC code -> its rules, most severe first. */
  byLoinc: Map<string, ThresholdRule[]>;
}

export class RulesFileError extends Error {
  override readonly name = 'RulesFileError';
}

/** LOINC "Mod 10" check digit of the part before the hyphen. */
export function loincCheckDigit(body: string): number {
  const digits = [...body].reverse();
  const odd = digits
    .filter((_, i) => i % 2 === 0)
    .reverse()
    .join('');
  const even = digits
    .filter((_, i) => i % 2 === 1)
    .reverse()
    .join('');
  const doubled = (BigInt(odd) * 2n).toString();
  const sum = [...`${even}${doubled}`].reduce((acc, d) => acc + Number(d), 0);
  return (10 - (sum % 10)) % 10;
}

export function isValidLoinc(code: string): boolean {
  const match = /^(\d{1,7})-(\d)$/.exec(code);
  return !!match && loincCheckDigit(match[1] as string) === Number(match[2]);
}

function lineOf(text: string, index: number): number {
  return text.slice(0, Math.max(0, index)).split('\n').length;
}

/** Line of the threshold entry `id` (or of the n-th entry when it has no usable id). */
function entryLine(text: string, raw: unknown, n: number): number | null {
  const id = field(raw, 'id');
  if (typeof id === 'string') {
    const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const match = new RegExp(`"id"\\s*:\\s*"${escaped}"`).exec(text);
    if (match) return lineOf(text, match.index);
  }
  const start = text.indexOf('"thresholds"');
  if (start < 0) return null;
  let depth = 0;
  let seen = -1;
  for (let i = text.indexOf('[', start) + 1; i > 0 && i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '{') {
      if (depth === 0 && ++seen === n) return lineOf(text, i);
      depth += 1;
    } else if (ch === '}') depth -= 1;
    else if (ch === ']' && depth === 0) break;
  }
  return null;
}

function describe(text: string, raw: unknown, n: number): string {
  const id = field(raw, 'id');
  const line = entryLine(text, raw, n);
  const name = typeof id === 'string' ? `threshold "${id}"` : `threshold #${n + 1}`;
  return line === null ? name : `line ${line}, ${name}`;
}

/** Does rule `a` fire anywhere rule `b` (same LOINC) also fires, in the same direction? */
function overlaps(a: ThresholdRule, b: ThresholdRule): string | null {
  if (a.tier === b.tier) return `both set ${a.tier} limits`;
  // Different tiers must nest: the critical band lies beyond the high band on each side.
  const [critical, high] = a.tier === 'critical' ? [a, b] : [b, a];
  if (critical.high !== null && high.high !== null && critical.high < high.high)
    return `critical high limit ${critical.high} is below the high-tier limit ${high.high}`;
  if (critical.low !== null && high.low !== null && critical.low > high.low)
    return `critical low limit ${critical.low} is above the high-tier limit ${high.low}`;
  if (critical.unit !== high.unit) return `limits for one code must share a unit`;
  return null;
}

function checkThreshold(rule: ThresholdRule, where: string): void {
  if (!isKnownUnit(rule.unit)) throw new RulesFileError(`${where}: unknown unit "${rule.unit}"`);
  for (const code of rule.loinc) {
    if (!isValidLoinc(code)) throw new RulesFileError(`${where}: malformed LOINC code "${code}"`);
  }
  if (rule.low === null && rule.high === null)
    throw new RulesFileError(`${where}: needs a low or a high limit`);
  if (rule.low !== null && rule.high !== null && rule.low >= rule.high)
    throw new RulesFileError(
      `${where}: overlapping thresholds: low ${rule.low} is not below high ${rule.high}`,
    );
}

/** Parse and validate the rules file text; throws RulesFileError with a line-naming message. */
export function parseRulesFile(text: string, source = 'rules file'): RuleSet {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new RulesFileError(`${source}: not valid JSON: ${message}`);
  }
  const file = fileSchema.safeParse(json);
  if (!file.success) {
    const issue = file.error.issues[0];
    const path = issue?.path.join('.') || '(top level)';
    throw new RulesFileError(`${source}: ${path}: ${issue?.message ?? 'invalid'}`);
  }
  const thresholds: ThresholdRule[] = [];
  const byId = new Map<string, number>();
  file.data.thresholds.forEach((raw, n) => {
    const where = `${source} ${describe(text, raw, n)}`;
    const parsed = thresholdSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RulesFileError(
        `${where}: ${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    const rule = parsed.data;
    if (byId.has(rule.id)) throw new RulesFileError(`${where}: duplicate id "${rule.id}"`);
    byId.set(rule.id, n);
    checkThreshold(rule, where);
    thresholds.push(rule);
  });
  const byLoinc = new Map<string, ThresholdRule[]>();
  thresholds.forEach((rule, n) => {
    for (const code of rule.loinc) {
      const list = byLoinc.get(code) ?? [];
      for (const other of list) {
        const problem = overlaps(rule, other);
        if (problem)
          throw new RulesFileError(
            `${source} ${describe(text, file.data.thresholds[n], n)}: overlapping thresholds with "${other.id}" for LOINC ${code}: ${problem}`,
          );
      }
      list.push(rule);
      list.sort((a, b) => (a.tier === b.tier ? 0 : a.tier === 'critical' ? -1 : 1));
      byLoinc.set(code, list);
    }
  });
  const codes = file.data.interpretationCodes;
  const seen = new Map<string, string>();
  for (const [tier, list] of Object.entries(codes)) {
    for (const code of list) {
      const previous = seen.get(code);
      if (previous)
        throw new RulesFileError(
          `${source}: interpretationCodes: "${code}" is listed under both ${previous} and ${tier}`,
        );
      seen.set(code, tier);
    }
  }
  return {
    notice: file.data.notice,
    interpretation: {
      critical: new Set(codes.critical),
      high: new Set(codes.high),
      info: new Set(codes.info),
    },
    highPriorities: new Set(file.data.medicationRequest.highPriorities),
    thresholds,
    byLoinc,
  };
}
