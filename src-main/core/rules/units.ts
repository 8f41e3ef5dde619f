// The UCUM units the rules engine understands, grouped by the kind of quantity they measure. Values
// convert freely within a kind; across kinds only where the rule supplies the chemistry (molar mass for
// mass <-> substance, valence for equivalents <-> substance). Anything else is "not comparable", and the
// observation falls back to its interpretation code. Conversion factors are arithmetic, not advice.

export type UnitKind =
  | 'substance' // mol/L
  | 'mass' // g/L
  | 'equivalents' // eq/L
  | 'count' // per litre
  | 'pressure' // mm[Hg]
  | 'ratio' // dimensionless (INR)
  | 'ph'
  | 'time' // s
  | 'fraction'; // %

interface UnitDef {
  kind: UnitKind;
  /** Multiply a value in this unit by `toBase` to get the kind's base unit. */
  toBase: number;
}

/** UCUM codes (case-sensitive) plus the spellings labs commonly print (mEq/L). */
const UNITS: Record<string, UnitDef> = {
  'mol/L': { kind: 'substance', toBase: 1 },
  'mmol/L': { kind: 'substance', toBase: 1e-3 },
  'umol/L': { kind: 'substance', toBase: 1e-6 },
  'nmol/L': { kind: 'substance', toBase: 1e-9 },
  'eq/L': { kind: 'equivalents', toBase: 1 },
  'meq/L': { kind: 'equivalents', toBase: 1e-3 },
  'mEq/L': { kind: 'equivalents', toBase: 1e-3 },
  'g/L': { kind: 'mass', toBase: 1 },
  'g/dL': { kind: 'mass', toBase: 10 },
  'mg/dL': { kind: 'mass', toBase: 1e-2 },
  'mg/L': { kind: 'mass', toBase: 1e-3 },
  'ug/mL': { kind: 'mass', toBase: 1e-3 },
  'ug/L': { kind: 'mass', toBase: 1e-6 },
  'ng/mL': { kind: 'mass', toBase: 1e-6 },
  'ng/L': { kind: 'mass', toBase: 1e-9 },
  'pg/mL': { kind: 'mass', toBase: 1e-9 },
  '10*3/uL': { kind: 'count', toBase: 1e9 },
  '10*9/L': { kind: 'count', toBase: 1e9 },
  '10*3/mm3': { kind: 'count', toBase: 1e9 },
  '/uL': { kind: 'count', toBase: 1e6 },
  'mm[Hg]': { kind: 'pressure', toBase: 1 },
  kPa: { kind: 'pressure', toBase: 7.50062 },
  '{INR}': { kind: 'ratio', toBase: 1 },
  '{ratio}': { kind: 'ratio', toBase: 1 },
  '1': { kind: 'ratio', toBase: 1 },
  '[pH]': { kind: 'ph', toBase: 1 },
  s: { kind: 'time', toBase: 1 },
  '%': { kind: 'fraction', toBase: 1 },
};

const BY_LOWER = new Map(Object.keys(UNITS).map((u) => [u.toLowerCase(), u]));

/** The registry spelling of `unit` (exact first, then case-insensitive), or null when unknown. */
export function knownUnit(unit: string): string | null {
  const trimmed = unit.trim();
  if (Object.hasOwn(UNITS, trimmed)) return trimmed;
  return BY_LOWER.get(trimmed.toLowerCase()) ?? null;
}

export function isKnownUnit(unit: string): boolean {
  return Object.hasOwn(UNITS, unit);
}

/** Chemistry a rule may supply to bridge kinds. */
export interface Bridge {
  /** g/mol: bridges mass and substance concentration (glucose 180.16, calcium 40.08). */
  molarMass?: number | undefined;
  /** Charge: bridges equivalents and substance concentration (K+ 1, Ca2+ 2). */
  valence?: number | undefined;
}

function toBase(value: number, def: UnitDef, target: UnitKind, bridge: Bridge): number | null {
  const base = value * def.toBase;
  if (def.kind === target) return base;
  // Go through substance (mol/L) as the hub.
  let molar: number | null = null;
  if (def.kind === 'substance') molar = base;
  else if (def.kind === 'mass' && bridge.molarMass) molar = base / bridge.molarMass;
  else if (def.kind === 'equivalents' && bridge.valence) molar = base / bridge.valence;
  if (molar === null) return null;
  if (target === 'substance') return molar;
  if (target === 'mass' && bridge.molarMass) return molar * bridge.molarMass;
  if (target === 'equivalents' && bridge.valence) return molar * bridge.valence;
  return null;
}

/** `value` in unit `from` expressed in unit `to`, or null when the two are not comparable. */
export function convert(value: number, from: string, to: string, bridge: Bridge = {}): number | null {
  const fromName = knownUnit(from);
  const toName = knownUnit(to);
  if (!fromName || !toName) return null;
  const fromDef = UNITS[fromName] as UnitDef;
  const toDef = UNITS[toName] as UnitDef;
  const base = toBase(value, fromDef, toDef.kind, bridge);
  if (base === null) return null;
  const result = base / toDef.toBase;
  // Trim binary noise (6.8 mEq/L -> 6.8000000001 mmol/L) without rounding real precision away.
  return Number(result.toPrecision(12));
}
