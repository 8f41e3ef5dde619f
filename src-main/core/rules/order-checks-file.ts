// The editable order-checks file (resources/rules/order-checks.json): the pharmacist's drug classes,
// drug-allergy classes, duplicate-therapy groups, interactions, lab checks and renal dose flags, each
// with its source. Parsed and validated with zod into an OrderChecks value, or refused with a message
// naming the bad entry; the caller keeps the previous checks when this throws. Demo data, not clinical
// advice (docs/pharmacy.md, "The checks").
import { z } from 'zod';
import { isValidLoinc } from './rules-file.ts';
import { isKnownUnit } from './units.ts';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a lower-case id like "warfarin-nsaid"');
const text = z.string().min(1).max(300);
const source = z.string().min(1).max(500);
const keyword = z.string().min(3).max(60);

const drugClass = z
  .object({
    id,
    name: text,
    /** RxNorm codes of the products in the class. */
    rxnorm: z.array(z.string().regex(/^\d{1,10}$/, 'an RxNorm code')).default([]),
    /** Lower-case words matched in the order's medication text when no code matches. */
    keywords: z.array(keyword).default([]),
  })
  .strict();

const allergyClass = z
  .object({
    id,
    snomed: z.array(z.string().regex(/^\d{6,18}$/, 'a SNOMED CT code')).default([]),
    keywords: z.array(keyword).default([]),
    drugClass: id,
    source,
  })
  .strict();

const duplicateGroup = z.object({ id, classes: z.array(id).min(1), text, source }).strict();

const interaction = z
  .object({
    id,
    classes: z.tuple([id, id]),
    severity: z.enum(['moderate', 'high']),
    text,
    source,
  })
  .strict();

const labCheck = z
  .object({
    id,
    drugClass: id,
    label: z.string().min(1).max(20),
    loinc: z.array(z.string()).min(1),
    unit: z.string().min(1),
    flagAbove: z.number().finite().optional(),
    flagBelow: z.number().finite().optional(),
    text,
    source,
  })
  .strict();

/**
 * A renal dose limit on the laboratory's eGFR (mL/min/1.73 m²) or on the creatinine clearance by
 * Cockcroft–Gault (mL/min), whichever the drug's labelling doses by; exactly one per entry.
 */
const kidneyLimit = z.number().positive().max(200).optional();
const renalCheck = z
  .object({
    id,
    drugClass: id,
    egfrBelow: kidneyLimit,
    crclBelow: kidneyLimit,
    crclAtMost: kidneyLimit,
    text,
    source,
  })
  .strict();

const fileSchema = z
  .object({
    notice: z.string().min(1),
    version: z.literal(1),
    kidneyFunction: z
      .object({
        egfrLoinc: z.array(z.string()).min(1),
        creatinineLoinc: z.array(z.string()).min(1),
        unit: z.string().min(1),
      })
      .strict(),
    weightLoinc: z.array(z.string()).min(1),
    // Body height, for the ideal and adjusted body weight of the creatinine clearance; files written
    // before it was read get LOINC's body height.
    heightLoinc: z.array(z.string()).min(1).default(['8302-2']),
    drugClasses: z.array(drugClass).min(1),
    allergyClasses: z.array(allergyClass),
    duplicateTherapy: z.array(duplicateGroup),
    interactions: z.array(interaction),
    labs: z.array(labCheck),
    renal: z.array(renalCheck),
  })
  .strict();

export type OrderChecks = z.output<typeof fileSchema>;
export type DrugClass = z.output<typeof drugClass>;
export type LabCheck = z.output<typeof labCheck>;
export type RenalCheck = z.output<typeof renalCheck>;

export class OrderChecksFileError extends Error {
  override readonly name = 'OrderChecksFileError';
}

function fail(where: string, message: string): never {
  throw new OrderChecksFileError(`${where}: ${message}`);
}

/** Ids unique across the file (a flag names its rule by id), and every class reference defined. */
function checkReferences(file: OrderChecks, source: string): void {
  const classes = new Set(file.drugClasses.map((c) => c.id));
  const seen = new Set<string>();
  const entries: [string, { id: string }][] = [
    ...file.drugClasses.map((e): [string, { id: string }] => ['drugClasses', e]),
    ...file.allergyClasses.map((e): [string, { id: string }] => ['allergyClasses', e]),
    ...file.duplicateTherapy.map((e): [string, { id: string }] => ['duplicateTherapy', e]),
    ...file.interactions.map((e): [string, { id: string }] => ['interactions', e]),
    ...file.labs.map((e): [string, { id: string }] => ['labs', e]),
    ...file.renal.map((e): [string, { id: string }] => ['renal', e]),
  ];
  for (const [list, entry] of entries) {
    if (seen.has(entry.id)) fail(`${source} ${list} "${entry.id}"`, 'duplicate id');
    seen.add(entry.id);
  }
  const need = (where: string, name: string) => {
    if (!classes.has(name)) fail(where, `unknown drug class "${name}"`);
  };
  for (const a of file.allergyClasses) need(`${source} allergyClasses "${a.id}"`, a.drugClass);
  for (const d of file.duplicateTherapy)
    for (const c of d.classes) need(`${source} duplicateTherapy "${d.id}"`, c);
  for (const i of file.interactions) for (const c of i.classes) need(`${source} interactions "${i.id}"`, c);
  for (const l of file.labs) need(`${source} labs "${l.id}"`, l.drugClass);
  for (const r of file.renal) need(`${source} renal "${r.id}"`, r.drugClass);
}

function checkCodes(file: OrderChecks, source: string): void {
  const loincs: [string, string][] = [
    ...file.kidneyFunction.egfrLoinc.map((c): [string, string] => ['kidneyFunction.egfrLoinc', c]),
    ...file.kidneyFunction.creatinineLoinc.map((c): [string, string] => [
      'kidneyFunction.creatinineLoinc',
      c,
    ]),
    ...file.weightLoinc.map((c): [string, string] => ['weightLoinc', c]),
    ...file.heightLoinc.map((c): [string, string] => ['heightLoinc', c]),
    ...file.labs.flatMap((l) => l.loinc.map((c): [string, string] => [`labs "${l.id}"`, c])),
  ];
  for (const [where, code] of loincs) {
    if (!isValidLoinc(code)) fail(`${source} ${where}`, `malformed LOINC code "${code}"`);
  }
  for (const lab of file.labs) {
    const where = `${source} labs "${lab.id}"`;
    if (!isKnownUnit(lab.unit)) fail(where, `unknown unit "${lab.unit}"`);
    if (lab.flagAbove === undefined && lab.flagBelow === undefined)
      fail(where, 'needs flagAbove or flagBelow');
  }
  for (const r of file.renal) {
    const limits = [r.egfrBelow, r.crclBelow, r.crclAtMost].filter((l) => l !== undefined);
    if (limits.length !== 1)
      fail(`${source} renal "${r.id}"`, 'needs exactly one of egfrBelow, crclBelow or crclAtMost');
  }
  for (const c of file.drugClasses) {
    if (c.rxnorm.length === 0 && c.keywords.length === 0)
      fail(`${source} drugClasses "${c.id}"`, 'needs an RxNorm code or a keyword to match orders');
  }
}

/** Parse and validate the order-checks text; throws OrderChecksFileError naming the bad entry. */
export function parseOrderChecks(textValue: string, source = 'order-checks file'): OrderChecks {
  let json: unknown;
  try {
    json = JSON.parse(textValue);
  } catch (error) {
    fail(source, `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(source, `${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`);
  }
  checkReferences(parsed.data, source);
  checkCodes(parsed.data, source);
  return parsed.data;
}
