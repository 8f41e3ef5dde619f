// The simulator's formulary: each drug with a usual adult order (dose and UCUM unit, SNOMED route,
// timing), a usual indication, and the patient data a pharmacist checks before verifying it (weight,
// kidney function, K+, INR, glucose). Demo data, not clinical advice (docs/pharmacy.md).

/** Patient data an order makes relevant; the simulator makes sure the patient has a recent value. */
export const CONTEXT_KINDS = ['weight', 'renal', 'potassium', 'inr', 'glucose'] as const;
export type ContextKind = (typeof CONTEXT_KINDS)[number];

export interface Route {
  code: string;
  display: string;
}

export const ROUTES = {
  oral: { code: '26643006', display: 'Oral route' },
  iv: { code: '47625008', display: 'Intravenous route' },
  subcut: { code: '34206005', display: 'Subcutaneous route' },
} as const satisfies Record<string, Route>;

export interface Frequency {
  /** HL7 v3 GTSAbbreviation code ("QD", "BID", "Q6H"…). */
  code: string;
  text: string;
  frequency: number;
  period: number;
  periodUnit: 'h' | 'd';
}

const FREQUENCIES = {
  daily: { code: 'QD', text: 'once daily', frequency: 1, period: 1, periodUnit: 'd' },
  bid: { code: 'BID', text: 'twice daily', frequency: 2, period: 1, periodUnit: 'd' },
  tid: { code: 'TID', text: 'three times daily', frequency: 3, period: 1, periodUnit: 'd' },
  q6h: { code: 'Q6H', text: 'every 6 hours', frequency: 1, period: 6, periodUnit: 'h' },
  q12h: { code: 'Q12H', text: 'every 12 hours', frequency: 1, period: 12, periodUnit: 'h' },
} as const satisfies Record<string, Frequency>;

export interface Indication {
  /** SNOMED CT concept, where one fits; the text is always given. */
  snomed?: string;
  text: string;
}

export interface Medication {
  rxnorm: string;
  display: string;
  dose: { value: number; unit: string };
  route: Route;
  frequency: Frequency;
  indication: Indication;
  /** What the pharmacist needs on the patient before verifying this drug. */
  context: readonly ContextKind[];
}

export const FORMULARY = {
  amlodipine: {
    rxnorm: '197361',
    display: 'amlodipine 5 MG Oral Tablet',
    dose: { value: 5, unit: 'mg' },
    route: ROUTES.oral,
    frequency: FREQUENCIES.daily,
    indication: { snomed: '38341003', text: 'Hypertension' },
    context: ['weight'],
  },
  ibuprofen: {
    rxnorm: '310965',
    display: 'ibuprofen 200 MG Oral Tablet',
    dose: { value: 400, unit: 'mg' },
    route: ROUTES.oral,
    frequency: FREQUENCIES.tid,
    indication: { snomed: '22253000', text: 'Pain' },
    context: ['weight', 'renal'],
  },
  acetaminophen: {
    rxnorm: '313782',
    display: 'acetaminophen 325 MG Oral Tablet',
    dose: { value: 650, unit: 'mg' },
    route: ROUTES.oral,
    frequency: FREQUENCIES.q6h,
    indication: { snomed: '22253000', text: 'Pain' },
    context: ['weight'],
  },
  furosemide: {
    rxnorm: '1719286',
    display: 'furosemide 10 MG/ML Injectable Solution',
    dose: { value: 40, unit: 'mg' },
    route: ROUTES.iv,
    frequency: FREQUENCIES.bid,
    indication: { snomed: '84114007', text: 'Heart failure' },
    context: ['weight', 'renal', 'potassium'],
  },
  heparin: {
    rxnorm: '1361615',
    display: 'heparin sodium, porcine 5000 UNT/ML Injectable Solution',
    dose: { value: 5000, unit: '[iU]' },
    route: ROUTES.subcut,
    frequency: FREQUENCIES.q12h,
    indication: { text: 'Venous thromboembolism prophylaxis' },
    context: ['weight'],
  },
  warfarin: {
    rxnorm: '855332',
    display: 'warfarin sodium 5 MG Oral Tablet',
    dose: { value: 5, unit: 'mg' },
    route: ROUTES.oral,
    frequency: FREQUENCIES.daily,
    indication: { snomed: '49436004', text: 'Atrial fibrillation' },
    context: ['weight', 'inr'],
  },
  piperacillinTazobactam: {
    rxnorm: '1807516',
    display: 'piperacillin 4000 MG / tazobactam 500 MG Injection',
    dose: { value: 4.5, unit: 'g' },
    route: ROUTES.iv,
    frequency: FREQUENCIES.q6h,
    indication: { snomed: '233604007', text: 'Pneumonia' },
    context: ['weight', 'renal'],
  },
  insulinRegular: {
    rxnorm: '311036',
    display: 'insulin regular, human 100 UNT/ML Injectable Solution',
    dose: { value: 4, unit: '[iU]' },
    route: ROUTES.subcut,
    frequency: FREQUENCIES.tid,
    indication: { snomed: '44054006', text: 'Type 2 diabetes mellitus' },
    context: ['weight', 'glucose', 'potassium'],
  },
  enoxaparin: {
    rxnorm: '205923',
    display: 'enoxaparin sodium 40 MG/0.4ML Prefilled Syringe',
    dose: { value: 40, unit: 'mg' },
    route: ROUTES.subcut,
    frequency: FREQUENCIES.daily,
    indication: { text: 'Venous thromboembolism prophylaxis' },
    context: ['weight', 'renal'],
  },
  sodiumPolystyrene: {
    rxnorm: '1659151',
    display: 'sodium polystyrene sulfonate 15 GM Oral Suspension',
    dose: { value: 15, unit: 'g' },
    route: ROUTES.oral,
    frequency: FREQUENCIES.daily,
    indication: { snomed: '14140009', text: 'Hyperkalemia' },
    context: ['weight', 'potassium'],
  },
  spironolactone: {
    rxnorm: '313096',
    display: 'spironolactone 25 MG Oral Tablet',
    dose: { value: 25, unit: 'mg' },
    route: ROUTES.oral,
    frequency: FREQUENCIES.daily,
    indication: { snomed: '84114007', text: 'Heart failure' },
    context: ['weight', 'renal', 'potassium'],
  },
} as const satisfies Record<string, Medication>;
