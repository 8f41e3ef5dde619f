// The pharmacist's checks of one order against the order-checks file: drug-allergy class, duplicate
// therapy, drug-drug interactions, labs that matter for the drug (with their flags) and the renal dose
// flags (on the eGFR or on the creatinine clearance, as the drug's labelling doses). A pure function of
// the records the review read; every flag names its rule and the rule's source.
import type { FhirResource, OrderFlag, ReviewValue } from '../../shared/api.ts';
import {
  arr,
  codings,
  conceptText,
  firstCode,
  quantity,
  readableUnit,
  records,
  str,
} from '../../shared/fhir-json.ts';
import type { LabCheck, OrderChecks, RenalCheck } from '../rules/order-checks-file.ts';
import { cockcroftGault, type Clearance } from './creatinine-clearance.ts';
import { drugClassesOf, medicationText, RXNORM } from './order-facts.ts';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';

export interface CheckInput {
  order: FhirResource;
  allergies: readonly FhirResource[];
  /** The patient's other active orders. */
  otherOrders: readonly FhirResource[];
  /** Observations of the patient, any order; the latest of each code is used. */
  observations: readonly FhirResource[];
  /** What a creatinine clearance needs besides the values: the birth date and the sex on record. */
  patient?: { birthDate: string | null; gender: string | null } | null;
  /** The review's time: the age for a creatinine without a time of its own. */
  now?: Date;
}

export interface CheckResult {
  flags: OrderFlag[];
  labs: ReviewValue[];
  weight: ReviewValue | null;
  /** The newest body height: whether the clearance used an adjusted body weight. */
  height: ReviewValue | null;
  egfr: ReviewValue | null;
  creatinine: ReviewValue | null;
  /** Creatinine clearance by Cockcroft–Gault, when the record has what it needs. */
  crcl: ReviewValue | null;
  /** The clearance was computed from the adjusted body weight (obesity). */
  crclAdjusted: boolean;
}

const ref = (resource: FhirResource): string => `${resource.resourceType}/${resource.id ?? ''}`;

function observedAt(obs: FhirResource): string | null {
  return str(obs['effectiveDateTime']) ?? str(obs['issued']);
}

/** A unit as people read it; none (or the dimensionless "1") is null. */
const unitText = (unit: string | null | undefined): string | null => readableUnit(unit) || null;

/** The latest Observation carrying one of the LOINC codes, as a review value. */
export function latestValue(
  observations: readonly FhirResource[],
  loinc: readonly string[],
  label: string,
): ReviewValue | null {
  const matching = observations.filter((obs) =>
    codings(obs['code']).some((c) => c.system === LOINC && c.code !== null && loinc.includes(c.code)),
  );
  matching.sort((a, b) => (observedAt(b) ?? '').localeCompare(observedAt(a) ?? ''));
  const obs = matching[0];
  if (!obs) return null;
  const q = quantity(obs['valueQuantity']);
  return {
    label,
    reference: ref(obs),
    value: q?.value ?? null,
    // As people read it ("INR", "mL/min/1.73 m²"): shown in the review and written into flag details.
    unit: q ? unitText(q.unit ?? q.code) : null,
    at: observedAt(obs),
    interpretation: firstCode(arr(obs['interpretation'])[0]),
  };
}

function isActiveAllergy(allergy: FhirResource): boolean {
  const status = firstCode(allergy['clinicalStatus']);
  return status === null || status === 'active';
}

/** "Penicillin" → "Penicillin allergy"; a name that says so already ("Allergy to penicillin") as it is. */
function allergyName(substance: string): string {
  return /\ballerg/i.test(substance) ? substance : `${substance} allergy`;
}

function allergyFlags(input: CheckInput, checks: OrderChecks, classIds: ReadonlySet<string>): OrderFlag[] {
  const flags: OrderFlag[] = [];
  for (const allergy of input.allergies.filter(isActiveAllergy)) {
    const codes = codings(allergy['code'])
      .filter((c) => c.system === SNOMED && c.code !== null)
      .map((c) => c.code as string);
    const substance = conceptText(allergy['code']) ?? 'Allergy';
    const words = substance.toLowerCase();
    for (const rule of checks.allergyClasses) {
      if (!classIds.has(rule.drugClass)) continue;
      const matches =
        rule.snomed.some((code) => codes.includes(code)) ||
        rule.keywords.some((k) => words.includes(k.toLowerCase()));
      if (!matches) continue;
      const criticality = str(allergy['criticality']);
      const reaction = records(allergy['reaction'])
        .flatMap((r) => arr(r['manifestation']).map(conceptText))
        .filter((t): t is string => t !== null)
        .join(', ');
      const className = checks.drugClasses.find((c) => c.id === rule.drugClass)?.name ?? rule.drugClass;
      flags.push({
        id: `${rule.id}:${allergy.id ?? ''}`,
        kind: 'allergy',
        severity: criticality === 'low' ? 'moderate' : 'high',
        text: `Allergy: ${substance} — ${medicationText(input.order)} is one of the ${className.toLowerCase()}`,
        detail: `${allergyName(substance)}${reaction ? `: ${reaction}` : ''}${criticality ? `, criticality ${criticality}` : ''}`,
        at: null,
        source: rule.source,
        implicated: [ref(allergy)],
      });
    }
  }
  return flags;
}

/** The drug an order names, to compare: its RxNorm codes and its name as words. */
function drugOf(order: FhirResource): { codes: string[]; name: string } {
  return {
    codes: codings(order['medicationCodeableConcept'])
      .filter((c) => c.system === RXNORM && c.code !== null)
      .map((c) => c.code as string),
    name: medicationText(order).toLowerCase().replace(/\s+/g, ' ').trim(),
  };
}

function sameDrug(x: ReturnType<typeof drugOf>, y: ReturnType<typeof drugOf>): boolean {
  return x.codes.some((code) => y.codes.includes(code)) || x.name === y.name;
}

function pairFlags(input: CheckInput, checks: OrderChecks, classIds: ReadonlySet<string>): OrderFlag[] {
  const flags: OrderFlag[] = [];
  const drug = drugOf(input.order);
  for (const other of input.otherOrders) {
    const otherClasses = new Set(drugClassesOf(other, checks).map((c) => c.id));
    const otherName = medicationText(other);
    // The same drug ordered twice is the duplicate to name (its class's duplicate group says less).
    const same = sameDrug(drug, drugOf(other));
    if (same) {
      flags.push({
        id: `same-drug:${other.id ?? ''}`,
        kind: 'duplicate',
        severity: 'high',
        text: 'Duplicate order: the same drug is already ordered',
        detail: `Also active: ${otherName}`,
        at: null,
        source: 'Duplicate order check: another active order for the same drug (RxNorm code or name).',
        implicated: [ref(other)],
      });
    }
    for (const group of same ? [] : checks.duplicateTherapy) {
      const mine = group.classes.some((c) => classIds.has(c));
      const theirs = group.classes.some((c) => otherClasses.has(c));
      if (!mine || !theirs) continue;
      flags.push({
        id: `${group.id}:${other.id ?? ''}`,
        kind: 'duplicate',
        severity: 'high',
        text: `Duplicate therapy: ${group.text}`,
        detail: `Also active: ${otherName}`,
        at: null,
        source: group.source,
        implicated: [ref(other)],
      });
    }
    for (const rule of checks.interactions) {
      const [a, b] = rule.classes;
      const hit = (classIds.has(a) && otherClasses.has(b)) || (classIds.has(b) && otherClasses.has(a));
      if (!hit) continue;
      flags.push({
        id: `${rule.id}:${other.id ?? ''}`,
        kind: 'interaction',
        severity: rule.severity,
        text: `Interaction: ${rule.text}`,
        detail: `With: ${otherName}`,
        at: null,
        source: rule.source,
        implicated: [ref(other)],
      });
    }
  }
  return flags;
}

/**
 * A lab check's flag: the value past its limit, or no value on record — a check that could not run must
 * not read as one that passed.
 */
function labFlag(check: LabCheck, value: ReviewValue | null): OrderFlag | null {
  if (!value || value.value === null)
    return {
      id: `${check.id}:not-recorded`,
      kind: 'lab',
      severity: 'moderate',
      text: `Lab not checked: no ${check.label} on record (${check.text})`,
      detail: `No ${check.label} result found for this patient`,
      at: null,
      source: check.source,
      implicated: [],
    };
  const above = check.flagAbove !== undefined && value.value > check.flagAbove;
  const below = check.flagBelow !== undefined && value.value < check.flagBelow;
  if (!above && !below) return null;
  return {
    id: check.id,
    kind: 'lab',
    severity: 'high',
    text: `Lab: ${check.text}`,
    detail: `${check.label} ${value.value} ${value.unit ?? ''}`.trim(),
    at: value.at,
    source: check.source,
    implicated: [value.reference],
  };
}

const measured = (value: ReviewValue): string => `${value.label} ${value.value} ${value.unit ?? ''}`.trim();

/** Whether `later` was observed after `earlier` (both timed; instants, whatever their offsets). */
function observedAfter(later: ReviewValue, earlier: ReviewValue): boolean {
  if (!later.at || !earlier.at) return false;
  return Date.parse(later.at) > Date.parse(earlier.at);
}

/**
 * A renal dose rule on the eGFR: the check could not run (no eGFR), the eGFR is below the drug's limit,
 * and the eGFR is older than the newest creatinine — a lab that reports a creatinine without its eGFR,
 * or a later draw: kidney function may have changed since the value the check used. That one is said,
 * not computed: an eGFR is the lab's calculation, and the pharmacist judges the creatinine.
 */
function egfrFlags(
  rule: RenalCheck,
  limit: number,
  egfr: ReviewValue | null,
  creatinine: ReviewValue | null,
): OrderFlag[] {
  const hasCreatinine = creatinine !== null && creatinine.value !== null;
  if (egfr === null || egfr.value === null)
    return [
      {
        id: `${rule.id}:not-recorded`,
        kind: 'renal',
        severity: 'moderate',
        text: 'Renal dose not checked: no eGFR on record',
        detail: hasCreatinine
          ? `The dose check needs an eGFR (${rule.text}); newest ${measured(creatinine)}`
          : `The dose check needs an eGFR (${rule.text})`,
        at: hasCreatinine ? creatinine.at : null,
        source: rule.source,
        implicated: hasCreatinine ? [creatinine.reference] : [],
      },
    ];
  const flags: OrderFlag[] = [];
  if (egfr.value < limit)
    flags.push({
      id: rule.id,
      kind: 'renal',
      severity: 'high',
      text: `Renal dose: ${rule.text}`,
      detail: measured(egfr),
      at: egfr.at,
      source: rule.source,
      implicated: [egfr.reference],
    });
  if (hasCreatinine && observedAfter(creatinine, egfr))
    flags.push({
      id: `${rule.id}:newer-creatinine`,
      kind: 'renal',
      severity: 'moderate',
      text: 'Renal dose checked against an older eGFR: a newer creatinine has none',
      detail: `${measured(creatinine)}, later than the ${measured(egfr)} checked`,
      at: creatinine.at,
      source: rule.source,
      implicated: [creatinine.reference, egfr.reference],
    });
  return flags;
}

/**
 * A renal dose rule on the creatinine clearance (Cockcroft–Gault, from the newest creatinine): below the
 * drug's limit, or not computed — for want of a creatinine, a weight, a birth date or a sex, each named —
 * which is a flag like any check that could not run.
 */
function clearanceFlags(rule: RenalCheck, clearance: Clearance, creatinine: ReviewValue | null): OrderFlag[] {
  if (!clearance.computed)
    return [
      {
        id: `${rule.id}:not-recorded`,
        kind: 'renal',
        severity: 'moderate',
        text: 'Renal dose not checked: no creatinine clearance',
        detail: `The dose check needs a creatinine clearance (${rule.text}); Cockcroft–Gault needs ${clearance.missing.join(', ')}`,
        at: creatinine?.at ?? null,
        source: rule.source,
        implicated: clearance.implicated,
      },
    ];
  const crcl = clearance.value.value ?? Number.POSITIVE_INFINITY;
  const crosses =
    (rule.crclBelow !== undefined && crcl < rule.crclBelow) ||
    (rule.crclAtMost !== undefined && crcl <= rule.crclAtMost);
  if (!crosses) return [];
  return [
    {
      id: rule.id,
      kind: 'renal',
      severity: 'high',
      text: `Renal dose: ${rule.text}`,
      detail: `${measured(clearance.value)} by Cockcroft–Gault (${clearance.inputs})`,
      at: clearance.value.at,
      source: rule.source,
      implicated: clearance.implicated,
    },
  ];
}

/** One flag per thing said: flags with the same words (two identical allergy records) name all records. */
function sayOnce(flags: readonly OrderFlag[]): OrderFlag[] {
  const byWords = new Map<string, OrderFlag>();
  for (const flag of flags) {
    const key = JSON.stringify([flag.kind, flag.text, flag.detail, flag.at]);
    const seen = byWords.get(key);
    if (seen) seen.implicated = [...new Set([...seen.implicated, ...flag.implicated])];
    else byWords.set(key, { ...flag, implicated: [...flag.implicated] });
  }
  return [...byWords.values()];
}

/** Run every check for one order. */
export function runChecks(input: CheckInput, checks: OrderChecks): CheckResult {
  const classIds = new Set(drugClassesOf(input.order, checks).map((c) => c.id));
  const kidney = checks.kidneyFunction;
  const egfr = latestValue(input.observations, kidney.egfrLoinc, 'eGFR');
  const creatinine = latestValue(input.observations, kidney.creatinineLoinc, 'Creatinine');
  const weight = latestValue(input.observations, checks.weightLoinc, 'Weight');
  const height = latestValue(input.observations, checks.heightLoinc, 'Height');
  const clearance = cockcroftGault({
    creatinine,
    weight,
    height,
    birthDate: input.patient?.birthDate ?? null,
    gender: input.patient?.gender ?? null,
    now: input.now ?? new Date(),
  });
  const labChecks = checks.labs.filter((l) => classIds.has(l.drugClass));
  const labs: ReviewValue[] = [];
  const flags: OrderFlag[] = [
    ...allergyFlags(input, checks, classIds),
    ...pairFlags(input, checks, classIds),
  ];
  for (const check of labChecks) {
    const value = latestValue(input.observations, check.loinc, check.label);
    if (!labs.some((l) => l.label === check.label)) {
      labs.push(
        value ?? {
          label: check.label,
          reference: '',
          value: null,
          unit: unitText(check.unit),
          at: null,
          interpretation: null,
        },
      );
    }
    const flag = labFlag(check, value);
    if (flag) flags.push(flag);
  }
  for (const rule of checks.renal.filter((r) => classIds.has(r.drugClass)))
    flags.push(
      ...(rule.egfrBelow !== undefined
        ? egfrFlags(rule, rule.egfrBelow, egfr, creatinine)
        : clearanceFlags(rule, clearance, creatinine)),
    );
  const crcl = clearance.computed ? clearance.value : null;
  const crclAdjusted = clearance.computed && clearance.adjusted;
  return { flags: sayOnce(flags), labs, weight, height, egfr, creatinine, crcl, crclAdjusted };
}
