// Turns a fetched focus resource into one of three tiers (critical, high, info) or "unclassified".
// Observations: the lab's own critical interpretation code (HH/LL/AA) wins; the LOINC threshold table of
// the rules file is next and may only raise a lab's flag, never lower it; other interpretation codes
// last. Values are compared after UCUM unit conversion; a value that cannot be compared (no value, a
// string, an unknown or unconvertible unit) falls back to the interpretation code or "unclassified".
// Never throws on odd shapes. The shipped limits are DEMO DEFAULTS, not clinical advice.
import type { AlertClass, FhirResource } from '../../shared/api.ts';
import type { JsonRecord } from '../../shared/fhir-json.ts';
import { arr, field, num, record, records, referenceOf, str } from '../../shared/fhir-json.ts';
import type { RuleSet, ThresholdRule } from './rules-file.ts';
import { convert, knownUnit } from './units.ts';

const INTERPRETATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const UCUM = 'http://unitsofmeasure.org';
const CODE_WORDS: Record<string, string> = {
  HH: 'critical high',
  LL: 'critical low',
  AA: 'critical abnormal',
  HU: 'significantly high',
  LU: 'significantly low',
  'H>': 'significantly high',
  'L<': 'significantly low',
  H: 'high',
  L: 'low',
  A: 'abnormal',
  N: 'normal',
};
const NOT_ACTIONABLE_STATUS = new Set(['registered', 'cancelled', 'entered-in-error']);

export interface Classification {
  tier: AlertClass;
  /** "Potassium 6.8 mmol/L". */
  headline: string;
  /** Why this tier: "critical high (HH); limit > 6.2 mmol/L". */
  reason: string;
  /** One line for a notification, without patient context: "K 6.8 mmol/L > 6.2". */
  summary: string;
  /** What fired: `threshold:<id>`, `interpretation:<code>`, `priority:<p>`, `encounter`, or null. */
  ruleId: string | null;
  patientRef: string | null;
  location: string | null;
  /** Encounter of an Observation, to find the bed. */
  encounterRef: string | null;
}

/** The codings of a CodeableConcept as sent (fields unchecked, so absent and mistyped differ). */
function codingsOf(concept: unknown): JsonRecord[] {
  return records(field(concept, 'coding'));
}

function interpretationCodes(resource: FhirResource): string[] {
  return arr(resource['interpretation']).flatMap((concept) => {
    const codes = codingsOf(concept)
      .filter((c) => c['system'] === undefined || c['system'] === INTERPRETATION_SYSTEM)
      .map((c) => str(c['code']))
      .filter((code): code is string => code !== null);
    // A text-only "critical" interpretation counts as AA (critical abnormal).
    const text = str(field(concept, 'text'));
    if (codes.length === 0 && text !== null && /\bcritical\b/i.test(text)) return ['AA'];
    return codes;
  });
}

/** A CodeableConcept's text, else its first display, bounded for a headline; else `fallback`. */
function conceptLabel(concept: unknown, fallback: string): string {
  const text = str(field(concept, 'text'))?.trim();
  if (text) return text.slice(0, 80);
  const display = codingsOf(concept)
    .map((c) => c['display'])
    .find((d): d is string => typeof d === 'string');
  return display !== undefined ? display.slice(0, 80) : fallback;
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

interface Quantity {
  value: number | null;
  unit: string;
}

function quantityOf(resource: FhirResource): Quantity {
  const q = record(resource['valueQuantity']);
  if (!q) return { value: null, unit: '' };
  const code = q['code'];
  const system = q['system'];
  const ucum = typeof code === 'string' && (system === undefined || system === UCUM) ? code : null;
  const unit = q['unit'];
  return { value: num(q['value']), unit: ucum ?? (typeof unit === 'string' ? unit : '') };
}

interface Violation {
  rule: ThresholdRule;
  comparator: '<' | '≤' | '>' | '≥';
  limit: number;
}

/** The first rule (most severe first) the value breaks, or why none could be compared. */
function checkThresholds(
  rules: readonly ThresholdRule[],
  q: Quantity,
): { violation: Violation | null; problem: string | null } {
  if (q.value === null || rules.length === 0) return { violation: null, problem: null };
  let problem: string | null = null;
  for (const rule of rules) {
    const value = convert(q.value, q.unit, rule.unit, rule);
    if (value === null) {
      problem = knownUnit(q.unit)
        ? `unit "${q.unit}" is not comparable with ${rule.unit} for ${rule.analyte}`
        : `unit "${q.unit || '(none)'}" is not a known UCUM unit for ${rule.analyte}`;
      continue;
    }
    if (rule.high !== null && (rule.highInclusive ? value >= rule.high : value > rule.high))
      return {
        violation: { rule, comparator: rule.highInclusive ? '≥' : '>', limit: rule.high },
        problem: null,
      };
    if (rule.low !== null && (rule.lowInclusive ? value <= rule.low : value < rule.low))
      return {
        violation: { rule, comparator: rule.lowInclusive ? '≤' : '<', limit: rule.low },
        problem: null,
      };
    problem = null;
  }
  return { violation: null, problem };
}

function rulesFor(resource: FhirResource, rules: RuleSet): ThresholdRule[] {
  for (const coding of codingsOf(resource['code'])) {
    const code = coding['code'];
    if (coding['system'] !== 'http://loinc.org' || typeof code !== 'string') continue;
    const found = rules.byLoinc.get(code);
    if (found) return found;
  }
  return [];
}

const tierOfCode = (rules: RuleSet, code: string): AlertClass | null =>
  rules.interpretation.critical.has(code)
    ? 'critical'
    : rules.interpretation.high.has(code)
      ? 'high'
      : rules.interpretation.info.has(code)
        ? 'info'
        : null;

const RANK: Record<AlertClass, number> = { critical: 3, high: 2, info: 1, unclassified: 0 };

export function classifyObservation(resource: FhirResource, rules: RuleSet): Classification {
  const thresholds = rulesFor(resource, rules);
  const rule = thresholds[0];
  const name = rule?.analyte ?? conceptLabel(resource['code'], 'Observation');
  const short = rule?.short ?? name;
  const q = quantityOf(resource);
  const valueText = q.value === null ? null : `${formatNumber(q.value)} ${q.unit}`.trim();
  const base = {
    headline: valueText ? `${name} ${valueText}` : name,
    patientRef: referenceOf(resource['subject']),
    location: null,
    encounterRef: referenceOf(resource['encounter']),
  };
  const status = typeof resource['status'] === 'string' ? resource['status'] : '';
  if (NOT_ACTIONABLE_STATUS.has(status))
    return {
      ...base,
      tier: 'info',
      reason: `status ${status}: not alerted`,
      summary: base.headline,
      ruleId: null,
    };

  const codes = interpretationCodes(resource);
  const coded = codes
    .map((code) => ({ code, tier: tierOfCode(rules, code) }))
    .filter((c): c is { code: string; tier: AlertClass } => c.tier !== null)
    .sort((a, b) => RANK[b.tier] - RANK[a.tier])[0];
  const { violation, problem } = checkThresholds(thresholds, q);
  const codeWords = coded ? `${CODE_WORDS[coded.code] ?? coded.code} (${coded.code})` : null;
  const limitWords = violation
    ? `limit ${violation.comparator} ${formatNumber(violation.limit)} ${violation.rule.unit}`
    : null;
  const sameUnit = violation && knownUnit(q.unit) === violation.rule.unit;
  const summary = violation
    ? `${short} ${valueText ?? ''} ${violation.comparator} ${formatNumber(violation.limit)}${sameUnit ? '' : ` ${violation.rule.unit}`}`
    : coded && coded.tier !== 'info'
      ? `${short}${valueText ? ` ${valueText}` : ''} (${coded.code})`
      : base.headline;

  if (coded?.tier === 'critical')
    return {
      ...base,
      tier: 'critical',
      reason: [codeWords, limitWords].filter(Boolean).join('; '),
      summary,
      ruleId: `interpretation:${coded.code}`,
    };
  if (violation && RANK[violation.rule.tier] >= RANK[coded?.tier ?? 'unclassified'])
    return {
      ...base,
      tier: violation.rule.tier,
      reason: [limitWords, codeWords ? `lab flag ${codeWords}` : null].filter(Boolean).join('; '),
      summary,
      ruleId: `threshold:${violation.rule.id}`,
    };
  if (coded)
    return {
      ...base,
      tier: coded.tier,
      reason: [codeWords, problem].filter(Boolean).join('; '),
      summary,
      ruleId: `interpretation:${coded.code}`,
    };
  if (problem) return { ...base, tier: 'unclassified', reason: problem, summary, ruleId: null };
  if (q.value === null) {
    const what = resource['valueString'] !== undefined ? 'a text value' : 'no numeric value';
    return {
      ...base,
      tier: 'unclassified',
      reason: `${what} and no interpretation code`,
      summary,
      ruleId: null,
    };
  }
  return {
    ...base,
    tier: 'info',
    reason: rule ? 'within demo limits' : 'no rule for this test',
    summary,
    ruleId: null,
  };
}

function classifyMedicationRequest(resource: FhirResource, rules: RuleSet): Classification {
  const priority = typeof resource['priority'] === 'string' ? resource['priority'] : 'routine';
  const high = rules.highPriorities.has(priority);
  const medication = conceptLabel(resource['medicationCodeableConcept'], 'Medication order');
  return {
    tier: high ? 'high' : 'info',
    headline: `${medication} (${priority})`,
    reason: high ? `priority ${priority}: pharmacist review first` : 'routine order',
    summary: `${priority.toUpperCase()} order: ${medication}`,
    ruleId: high ? `priority:${priority}` : null,
    patientRef: referenceOf(resource['subject']),
    location: null,
    encounterRef: referenceOf(resource['encounter']),
  };
}

function classifyEncounter(resource: FhirResource): Classification {
  const status = typeof resource['status'] === 'string' ? resource['status'] : '';
  const locations = arr(resource['location']).length;
  const what =
    status === 'finished'
      ? 'Discharge'
      : locations > 1
        ? 'Transfer'
        : status === 'cancelled'
          ? 'Cancelled encounter'
          : 'Admission';
  return {
    tier: 'info',
    headline: what,
    reason: `encounter ${status || 'update'}`,
    summary: what,
    ruleId: 'encounter',
    patientRef: referenceOf(resource['subject']),
    location: null,
    encounterRef: resource.id ? `Encounter/${resource.id}` : null,
  };
}

/** Classify any focus resource. Unknown types are informational, never dropped. */
export function classifyResource(resource: FhirResource, rules: RuleSet): Classification {
  try {
    if (resource.resourceType === 'Observation') return classifyObservation(resource, rules);
    if (resource.resourceType === 'MedicationRequest') return classifyMedicationRequest(resource, rules);
    if (resource.resourceType === 'Encounter') return classifyEncounter(resource);
  } catch (error) {
    return {
      tier: 'unclassified',
      headline: resource.resourceType,
      reason: `could not classify: ${error instanceof Error ? error.message : 'unknown error'}`,
      summary: resource.resourceType,
      ruleId: null,
      patientRef: null,
      location: null,
      encounterRef: null,
    };
  }
  return {
    tier: 'info',
    headline: resource.resourceType,
    reason: 'informational',
    summary: resource.resourceType,
    ruleId: null,
    patientRef: referenceOf(resource['subject']) ?? referenceOf(resource['patient']),
    location: null,
    encounterRef: null,
  };
}
