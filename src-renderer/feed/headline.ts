// A result's headline ("Glucose 523 mg/dL", built by the host as the test's name and the value) in its
// two parts, so a narrow row can cut the name and keep the value and unit whole. The value starts at
// the first word that starts with a number (or a comparator before one); a name with a number of its
// own ("Factor 8 activity 20 %") puts more in the value part, which only means less of it can be cut.

export interface HeadlineParts {
  name: string;
  /** The value and unit; empty when the headline has none (still loading, or a coded result). */
  value: string;
}

const VALUE_START = /\s(?=(?:[<>≤≥]=?\s?)?[-+]?\.?\d)/;

export function splitHeadline(headline: string): HeadlineParts {
  const at = VALUE_START.exec(headline)?.index;
  if (at === undefined || at === 0) return { name: headline, value: '' };
  return { name: headline.slice(0, at), value: headline.slice(at + 1) };
}
