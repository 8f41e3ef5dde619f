// UCUM units as a reader expects them: `{INR}` → "INR", `10*9/L` → "×10⁹/L", `uL` → "µL",
// `mm[Hg]` → "mmHg", `m2` → "m²". Display only: values are compared in their UCUM form by the rules
// engine (src-main/core/rules/units.ts); nothing parses the text this returns.
//
// No project imports: the renderer and the core both use it.

const SUPERSCRIPT: Record<string, string> = {
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
  '-': '⁻',
};

const superscript = (digits: string): string => [...digits].map((d) => SUPERSCRIPT[d] ?? d).join('');

/**
 * Rewrite the UCUM spellings inside a text (a unit alone, or a headline such as "INR 5.6 {INR}").
 * Only unit-shaped tokens change: numbers and words stay as they are.
 */
export function readableUnits(text: string): string {
  return (
    text
      // Annotations: {INR} → INR, {1.73_m2} → 1.73 m2 (the exponent is handled below).
      .replace(/\{([^{}]{1,40})\}/g, (_, inner: string) => inner.replace(/_/g, ' '))
      // Powers of ten: 10*9/L, 10^9/L → ×10⁹/L.
      .replace(/(^|[\s(/])10[*^](-?\d{1,2})(?=\/|\s|$|\))/g, (_, lead: string, power: string) => {
        return `${lead}×10${superscript(power)}`;
      })
      // Square brackets mark special units: mm[Hg] → mmHg, [IU] → IU.
      .replace(/\[([A-Za-z_]{1,12})\]/g, '$1')
      // The micro prefix: uL, ug, umol, ukat, uU, ueq → µ…
      .replace(/(^|[\s(/.·×\d])u(L|l|g|mol|kat|U|IU|eq|m)(?=$|[\s/).·])/g, '$1µ$2')
      // Area and volume exponents on a metre: m2 → m², cm3 → cm³.
      .replace(/(^|[\s(/.])(c|m|d)?m([23])(?=$|[\s/).])/g, (_, lead: string, prefix = '', power: string) => {
        return `${lead}${prefix}m${superscript(power)}`;
      })
  );
}

/** One unit, readable; the dimensionless "1" shows as nothing. */
export function readableUnit(unit: string | null | undefined): string {
  if (!unit || unit === '1') return '';
  return readableUnits(unit);
}
