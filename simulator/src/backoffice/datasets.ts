// The data sets of the three retrieval services, generated from a seed. In: the seed, the
// "as at" date and how many records. Out: frozen lists of council tax accounts, business
// rates accounts and benefits claims, each with a lookup by reference. Pure and
// deterministic: each service draws from its own stream (seed + service name), so the same
// seed always gives the same records and changing one service's count leaves the others be.
// The council, its towns and postcodes are fictional (Borsetshire; postcode area BO, which
// Royal Mail does not use). Names include apostrophes, accents and ampersands on purpose.
import {
  BENEFITS_CLAIM_REFERENCE,
  BUSINESS_RATES_REFERENCE,
  COUNCIL_TAX_REFERENCE,
  nationalInsuranceNumber,
  type ReferenceScheme,
} from './references';
import { Rng } from './prng';
import { deepFreeze } from '../util/deep-freeze';

export const COUNCIL = Object.freeze({
  name: 'Borsetshire District Council',
  address: ['Council Offices', 'Market Street', 'Borchester', 'BO1 1AA'],
  phone: '01632 960000',
  web: 'www.borsetshire.gov.invalid',
});

export type Band = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H';
/** Each band's charge in ninths of Band D (Local Government Finance Act 1992, s.5). */
export const BAND_NINTHS: Readonly<Record<Band, number>> = Object.freeze({
  A: 6,
  B: 7,
  C: 8,
  D: 9,
  E: 11,
  F: 13,
  G: 15,
  H: 18,
});
/** The fictional council's Band D charge for the year, in pence, and its precept shares. */
export const BAND_D_PENCE = 228_047;
export const PRECEPTS = Object.freeze([
  { name: 'Borsetshire County Council', share: 0.74 },
  { name: 'Borsetshire District Council', share: 0.11 },
  { name: 'Police and Crime Commissioner', share: 0.11 },
  { name: 'Fire and Rescue Authority', share: 0.04 },
]);
/** 2025/26 multipliers in England, in thousandths of a pound per pound of rateable value. */
export const MULTIPLIERS = Object.freeze({ small: 499, standard: 555 });

export interface Address {
  readonly lines: readonly string[];
  readonly town: string;
  readonly county: string;
  readonly postcode: string;
}

export interface Person {
  readonly title: string;
  readonly forename: string;
  readonly surname: string;
}

export type InstalmentStatus = 'Paid' | 'Due' | 'Overdue';

export interface Instalment {
  readonly number: number;
  readonly dueDate: string;
  readonly amountPence: number;
  readonly status: InstalmentStatus;
}

export interface Adjustment {
  readonly type: string;
  readonly description: string;
  /** Negative: it reduces the charge. */
  readonly amountPence: number;
}

export interface CouncilTaxAccount {
  readonly reference: string;
  readonly status: 'Live' | 'Closed';
  readonly openedOn: string;
  readonly uprn: string;
  readonly band: Band;
  readonly address: Address;
  readonly liableParties: readonly (Person & { readonly role: string })[];
  readonly year: string;
  readonly annualChargePence: number;
  readonly adjustments: readonly Adjustment[];
  readonly netChargePence: number;
  readonly paymentMethod: 'Direct Debit' | 'Cash or card' | 'Standing order';
  readonly instalments: readonly Instalment[];
  readonly paidPence: number;
  readonly balancePence: number;
  readonly recoveryStage: 'None' | 'Reminder' | 'Final notice' | 'Summons';
}

export interface BusinessRatesAccount {
  readonly reference: string;
  readonly ratepayer: { readonly name: string; readonly type: string };
  readonly description: string;
  readonly address: Address;
  readonly rateableValuePounds: number;
  readonly effectiveFrom: string;
  readonly year: string;
  readonly multiplier: {
    readonly name: 'Small business' | 'Standard';
    readonly thousandths: number;
  };
  readonly grossChargePence: number;
  readonly reliefs: readonly Adjustment[];
  readonly netChargePence: number;
  readonly paymentMethod: 'Direct Debit' | 'BACS' | 'Cash or card';
  readonly instalments: readonly Instalment[];
  readonly paidPence: number;
  readonly balancePence: number;
}

export interface BenefitsClaim {
  readonly reference: string;
  readonly claimant: Person & { readonly nino: string; readonly dateOfBirth: string };
  readonly partner: (Person & { readonly nino: string }) | undefined;
  readonly address: Address;
  readonly tenure: string;
  readonly schemes: readonly ('Housing Benefit' | 'Council Tax Reduction')[];
  readonly status: 'Live' | 'Suspended' | 'Closed' | 'Awaiting evidence';
  readonly dateOfClaim: string;
  readonly dependants: number;
  readonly weeklyEligibleRentPence: number | undefined;
  readonly weeklyHousingBenefitPence: number | undefined;
  readonly weeklyCouncilTaxReductionPence: number | undefined;
  readonly paymentFrequency: 'Weekly' | 'Two-weekly' | 'Four-weekly';
  readonly paidTo: 'Claimant' | 'Landlord';
  readonly nextPaymentDate: string | undefined;
  readonly evidenceOutstanding: readonly string[];
}

/** One service's records and their index. */
export interface DataSet<T extends { readonly reference: string }> {
  readonly scheme: ReferenceScheme;
  readonly items: readonly T[];
  get(reference: string): T | undefined;
  has(reference: string): boolean;
  readonly references: readonly string[];
}

export interface DataSets {
  readonly councilTax: DataSet<CouncilTaxAccount>;
  readonly businessRates: DataSet<BusinessRatesAccount>;
  readonly benefits: DataSet<BenefitsClaim>;
}

export interface DataSetOptions {
  readonly seed: string | number;
  /** The "as at" date, YYYY-MM-DD: decides the year, instalments paid and overdue. */
  readonly asOf: string;
  readonly councilTaxAccounts: number;
  readonly businessRatesProperties: number;
  readonly benefitsClaims: number;
}

// ---------------------------------------------------------------------------------------
// Word lists

const TITLES_F = ['Mrs', 'Ms', 'Miss', 'Dr'];
const TITLES_M = ['Mr', 'Mr', 'Mr', 'Dr'];
const FORENAMES_F = [
  'Amelia',
  'Olivia',
  'Isla',
  'Ava',
  'Emily',
  'Sophie',
  'Grace',
  'Mia',
  'Poppy',
  'Ella',
  'Siân',
  'Zoë',
  'Aoife',
  'Priya',
  'Fatima',
  'Chloé',
  'Margaret',
  'Susan',
  'Janet',
  'Helen',
  'Shula',
  'Elizabeth',
  'Ruth',
  'Pat',
  'Clarrie',
  'Jill',
  'Lynda',
  'Kirsty',
];
const FORENAMES_M = [
  'Oliver',
  'George',
  'Harry',
  'Noah',
  'Jack',
  'Leo',
  'Arthur',
  'Oscar',
  'Charlie',
  'Muhammad',
  'Rhys',
  'Dafydd',
  'Seán',
  'Ravi',
  'Tomasz',
  'David',
  'Peter',
  'Alan',
  'Brian',
  'Keith',
  'Eddie',
  'Joe',
  'Tony',
  'Kenton',
  'Brian',
  'Jazzer',
  'Tom',
  'Adam',
];
const SURNAMES = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Patel',
  'Robinson',
  'Wright',
  'Thompson',
  'Evans',
  'Walker',
  'White',
  'Roberts',
  'Green',
  'Hall',
  "O'Brien",
  "O'Connor",
  'MacDonald',
  'Ní Bhriain',
  'Kowalski',
  'Nowak',
  'Khan',
  'Begum',
  'Archer',
  'Grundy',
  'Aldridge',
  'Carter',
  'Snell',
  'Tucker',
  'Horrobin',
  'Pargetter',
  'Sterling',
  'Fairbrother',
  'Forrest',
  'Perks',
  'Bellamy',
  'Hebden Lloyd',
  'Dunn-Smythe',
];
const STREETS = [
  'Mill Lane',
  'Church Road',
  'High Street',
  'Station Road',
  'Victoria Road',
  'Park Avenue',
  'Green Lane',
  'Manor Road',
  'Kings Road',
  'Queens Drive',
  'The Crescent',
  'Orchard Close',
  'Meadow View',
  'Brookfield Way',
  "St Stephen's Walk",
  'Lakey Hill Road',
  'Heydon Berrow',
  'Grange Farm Lane',
  'Blossom Hill Cottages',
  'Willow Court',
  'Ambridge Road',
  'Borchester Road',
  'Felpersham Road',
  'Hollerton Lane',
  'Canal Walk',
  'Market Street',
  'Waterloo Terrace',
  'Chapel Row',
  'Beech Grove',
  'Ash Close',
];
const TOWNS = [
  { town: 'Borchester', districts: [1, 2, 3, 4] },
  { town: 'Felpersham', districts: [5, 6, 7] },
  { town: 'Hollerton', districts: [8] },
  { town: 'Ambridge', districts: [9] },
  { town: 'Penny Hassett', districts: [9] },
  { town: 'Loxley Barrett', districts: [8] },
  { town: 'Edgeley', districts: [7] },
  { town: 'Darrington', districts: [6] },
];
// Royal Mail omits C I K M O V in the last two letters of a postcode.
const POSTCODE_UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ'.split('');
const BUSINESS_DESCRIPTIONS = [
  { text: 'Shop and premises', retail: true },
  { text: 'Offices and premises', retail: false },
  { text: 'Warehouse and premises', retail: false },
  { text: 'Restaurant and premises', retail: true },
  { text: 'Public house and premises', retail: true },
  { text: 'Workshop and premises', retail: false },
  { text: 'Café and premises', retail: true },
  { text: 'Hairdressing salon and premises', retail: true },
  { text: 'Car showroom and premises', retail: false },
  { text: 'Surgery and premises', retail: false },
  { text: 'Advertising right', retail: false },
  { text: 'Storage depot and premises', retail: false },
];
const BUSINESS_NAMES = [
  'Grundy & Sons Ltd',
  'Bridge Farm Organics Ltd',
  'The Bull Inn (Ambridge) Ltd',
  'Borchester Land plc',
  'Jaxx Caff & Bar',
  'Underwoods Department Store Ltd',
  'Home Farm Partnership',
  'Grey Gables Hotel & Country Club',
  'Felpersham Motors Ltd',
  'Ambridge Tea Room',
  'Snell Consulting LLP',
  'Hollerton Junction Storage Ltd',
  'Carter & Carter Builders',
  'Lakey Hill Vets',
  'The "Cat & Fiddle" Company Ltd',
  'Borsetshire Wildlife Trust',
  'Perks Hair & Beauty',
  'Loxley Barrett Garage',
  'Penny Hassett Pharmacy Ltd',
  'Aldridge Equestrian Centre',
];
const RATEPAYER_TYPES = ['Limited company', 'Sole trader', 'Partnership', 'Charity', 'plc'];
const TENURES = ['Private rented', 'Housing association', 'Council tenant', 'Owner occupier'];
const EVIDENCE = [
  'Proof of income (last 5 weeks of payslips)',
  'Tenancy agreement',
  'Bank statements (last 2 months)',
  'Proof of identity',
  'Childcare costs',
  'Details of savings and capital',
];

// ---------------------------------------------------------------------------------------
// Dates: YYYY-MM-DD strings in UTC; pure arithmetic.

function parseDay(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

function formatDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return formatDay(new Date(parseDay(day).getTime() + days * 86_400_000));
}

function monthly(firstDue: string, n: number, dayOfMonth: number): string[] {
  const d = parseDay(firstDue);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(formatDay(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + i, dayOfMonth))));
  }
  return out;
}

/** The financial year (1 April to 31 March) holding `asOf`: its label and first day. */
export function financialYear(asOf: string): { readonly label: string; readonly start: string } {
  const d = parseDay(asOf);
  const y = d.getUTCMonth() >= 3 ? d.getUTCFullYear() : d.getUTCFullYear() - 1;
  return { label: `${y}/${String((y + 1) % 100).padStart(2, '0')}`, start: `${y}-04-01` };
}

// ---------------------------------------------------------------------------------------
// Shared pieces

function person(rng: Rng): Person {
  const female = rng.chance(0.5);
  return {
    title: rng.pick(female ? TITLES_F : TITLES_M),
    forename: rng.pick(female ? FORENAMES_F : FORENAMES_M),
    surname: rng.pick(SURNAMES),
  };
}

function address(rng: Rng, premises: 'Flat' | 'Unit' = 'Flat'): Address {
  const place = rng.pick(TOWNS);
  const district = rng.pick(place.districts);
  const flat = rng.chance(0.2) ? `${premises} ${String(rng.int(1, 24))}` : undefined;
  const street = `${String(rng.int(1, 240))} ${rng.pick(STREETS)}`;
  const inward = `${String(rng.int(1, 9))}${rng.pick(POSTCODE_UNIT_LETTERS)}${rng.pick(POSTCODE_UNIT_LETTERS)}`;
  return {
    lines: flat === undefined ? [street] : [flat, street],
    town: place.town,
    county: 'Borsetshire',
    postcode: `BO${String(district)} ${inward}`,
  };
}

function uprn(rng: Rng): string {
  return `10${rng.digits(10)}`;
}

/**
 * Ten monthly instalments of whole pounds, the first carrying the remainder (how UK bills
 * are split), marked paid up to a point and overdue after it when their date has passed.
 */
function instalments(
  rng: Rng,
  netPence: number,
  firstDue: string,
  asOf: string,
  dayOfMonth: number,
  reliable: boolean,
): { list: Instalment[]; paid: number } {
  if (netPence <= 0) return { list: [], paid: 0 }; // a nil bill has no instalments
  const n = 10;
  const later = Math.floor(netPence / n / 100) * 100;
  const first = netPence - later * (n - 1);
  const dates = monthly(firstDue, n, dayOfMonth);
  const stopAfter = reliable ? n : rng.int(0, n - 1);
  let paid = 0;
  const list = dates.map((dueDate, i): Instalment => {
    const amountPence = i === 0 ? first : later;
    let status: InstalmentStatus = 'Due';
    if (dueDate < asOf) status = i < stopAfter ? 'Paid' : 'Overdue';
    if (status === 'Paid') paid += amountPence;
    return { number: i + 1, dueDate, amountPence, status };
  });
  return { list, paid };
}

function uniqueReferences(rng: Rng, scheme: ReferenceScheme, count: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  // Bounded: the reference spaces hold millions of values, so collisions are rare.
  for (let tries = 0; out.length < count && tries < count * 20 + 100; tries++) {
    const ref = scheme.make(rng);
    if (seen.has(ref)) continue;
    seen.add(ref);
    out.push(ref);
  }
  return out;
}

function dataSet<T extends { readonly reference: string }>(
  scheme: ReferenceScheme,
  items: T[],
): DataSet<T> {
  const index = new Map(items.map((i) => [i.reference, i]));
  return Object.freeze({
    scheme,
    items: deepFreeze(items),
    references: Object.freeze(items.map((i) => i.reference)),
    get: (reference: string) => index.get(reference),
    has: (reference: string) => index.has(reference),
  });
}

// ---------------------------------------------------------------------------------------
// Generators

export function generateCouncilTax(
  seed: string | number,
  asOf: string,
  count: number,
): DataSet<CouncilTaxAccount> {
  const rng = new Rng(seed, 'council-tax');
  const year = financialYear(asOf);
  const refs = uniqueReferences(rng, COUNCIL_TAX_REFERENCE, count);
  const bands: Band[] = ['A', 'A', 'B', 'B', 'B', 'C', 'C', 'C', 'D', 'D', 'E', 'F', 'G', 'H'];
  const items = refs.map((reference): CouncilTaxAccount => {
    const band = rng.pick(bands);
    const annual = Math.round((BAND_D_PENCE * BAND_NINTHS[band]) / 9);
    const parties = [{ ...person(rng), role: rng.pick(['Owner occupier', 'Tenant']) }];
    if (rng.chance(0.35)) {
      const first = parties[0];
      const partner = person(rng);
      parties.push({
        ...partner,
        surname: rng.chance(0.6) && first !== undefined ? first.surname : partner.surname,
        role: 'Joint and several',
      });
    }
    const adjustments: Adjustment[] = [];
    if (parties.length === 1 && rng.chance(0.45)) {
      adjustments.push({
        type: 'SPD',
        description: 'Single person discount (25%)',
        amountPence: -Math.round(annual * 0.25),
      });
    }
    if (rng.chance(0.15)) {
      const ctr = Math.round(annual * rng.int(20, 100) * 0.01);
      const left = annual + adjustments.reduce((s, a) => s + a.amountPence, 0);
      adjustments.push({
        type: 'CTR',
        description: 'Council Tax Reduction',
        amountPence: -Math.min(ctr, left),
      });
    }
    const net = annual + adjustments.reduce((s, a) => s + a.amountPence, 0);
    const closed = rng.chance(0.05);
    const paymentMethod = rng.pick([
      'Direct Debit',
      'Direct Debit',
      'Cash or card',
      'Standing order',
    ] as const);
    const plan = instalments(
      rng,
      net,
      year.start,
      asOf,
      paymentMethod === 'Direct Debit' ? rng.pick([1, 15, 28]) : 1,
      paymentMethod === 'Direct Debit' ? rng.chance(0.95) : rng.chance(0.7),
    );
    const overdue = plan.list.filter((i) => i.status === 'Overdue').length;
    return {
      reference,
      status: closed ? 'Closed' : 'Live',
      openedOn: addDays(year.start, -rng.int(30, 365 * 25)),
      uprn: uprn(rng),
      band,
      address: address(rng),
      liableParties: parties,
      year: year.label,
      annualChargePence: annual,
      adjustments,
      netChargePence: net,
      paymentMethod,
      instalments: plan.list,
      paidPence: plan.paid,
      balancePence: net - plan.paid,
      recoveryStage:
        overdue === 0
          ? 'None'
          : overdue === 1
            ? 'Reminder'
            : overdue === 2
              ? 'Final notice'
              : 'Summons',
    };
  });
  return dataSet(COUNCIL_TAX_REFERENCE, items);
}

export function generateBusinessRates(
  seed: string | number,
  asOf: string,
  count: number,
): DataSet<BusinessRatesAccount> {
  const rng = new Rng(seed, 'business-rates');
  const year = financialYear(asOf);
  const refs = uniqueReferences(rng, BUSINESS_RATES_REFERENCE, count);
  const items = refs.map((reference): BusinessRatesAccount => {
    const use = rng.pick(BUSINESS_DESCRIPTIONS);
    // Rateable values are log-normally spread: most small, a few large (£1,000 to ~£2m).
    const rv = Math.max(1_000, Math.round(Math.exp(9.4 + 1.1 * rng.normal()) / 25) * 25);
    const small = rv < 51_000;
    const thousandths = small ? MULTIPLIERS.small : MULTIPLIERS.standard;
    const gross = Math.round((rv * thousandths) / 10);
    const reliefs: Adjustment[] = [];
    const ratepayerType = rng.pick(RATEPAYER_TYPES);
    if (rv <= 12_000) {
      reliefs.push({
        type: 'SBRR',
        description: 'Small business rate relief (100%)',
        amountPence: -gross,
      });
    } else if (rv <= 15_000) {
      const percent = Math.round(((15_000 - rv) / 3_000) * 100);
      reliefs.push({
        type: 'SBRR',
        description: `Small business rate relief (${String(percent)}%)`,
        amountPence: -Math.round((gross * percent) / 100),
      });
    } else if (ratepayerType === 'Charity') {
      reliefs.push({
        type: 'MAND',
        description: 'Mandatory charitable relief (80%)',
        amountPence: -Math.round(gross * 0.8),
      });
    } else if (use.retail && rv < 1_000_000) {
      reliefs.push({
        type: 'RHL',
        description: 'Retail, hospitality and leisure relief (40%)',
        amountPence: -Math.min(Math.round(gross * 0.4), 11_000_000),
      });
    }
    const net = gross + reliefs.reduce((s, r) => s + r.amountPence, 0);
    const paymentMethod = rng.pick(['Direct Debit', 'BACS', 'Cash or card'] as const);
    const plan = instalments(rng, net, year.start, asOf, rng.pick([1, 15]), rng.chance(0.85));
    return {
      reference,
      ratepayer: { name: rng.pick(BUSINESS_NAMES), type: ratepayerType },
      description: use.text,
      address: address(rng, 'Unit'),
      rateableValuePounds: rv,
      effectiveFrom: addDays('2023-04-01', rng.chance(0.7) ? 0 : rng.int(1, 700)),
      year: year.label,
      multiplier: { name: small ? 'Small business' : 'Standard', thousandths },
      grossChargePence: gross,
      reliefs,
      netChargePence: net,
      paymentMethod,
      instalments: plan.list,
      paidPence: plan.paid,
      balancePence: net - plan.paid,
    };
  });
  return dataSet(BUSINESS_RATES_REFERENCE, items);
}

export function generateBenefits(
  seed: string | number,
  asOf: string,
  count: number,
): DataSet<BenefitsClaim> {
  const rng = new Rng(seed, 'benefits');
  const refs = uniqueReferences(rng, BENEFITS_CLAIM_REFERENCE, count);
  const items = refs.map((reference): BenefitsClaim => {
    const claimant = person(rng);
    const partner = rng.chance(0.4)
      ? { ...person(rng), surname: claimant.surname, nino: nationalInsuranceNumber(rng) }
      : undefined;
    const tenure = rng.pick(TENURES);
    const owner = tenure === 'Owner occupier';
    const schemes: BenefitsClaim['schemes'] = owner
      ? ['Council Tax Reduction']
      : rng.chance(0.85)
        ? ['Housing Benefit', 'Council Tax Reduction']
        : ['Housing Benefit'];
    const status = rng.pick([
      'Live',
      'Live',
      'Live',
      'Live',
      'Suspended',
      'Closed',
      'Awaiting evidence',
    ] as const);
    const rent = owner ? undefined : rng.int(8_000, 32_000);
    const hb =
      rent === undefined || !schemes.includes('Housing Benefit')
        ? undefined
        : Math.round(rent * rng.int(30, 100) * 0.01);
    const ctr = schemes.includes('Council Tax Reduction') ? rng.int(500, 4_500) : undefined;
    const paymentFrequency = rng.pick(['Weekly', 'Two-weekly', 'Four-weekly'] as const);
    return {
      reference,
      claimant: {
        ...claimant,
        nino: nationalInsuranceNumber(rng),
        dateOfBirth: addDays('1940-01-01', rng.int(0, 365 * 65)),
      },
      partner,
      address: address(rng),
      tenure,
      schemes,
      status,
      dateOfClaim: addDays(asOf, -rng.int(14, 365 * 8)),
      dependants: rng.chance(0.5) ? 0 : rng.int(1, 5),
      weeklyEligibleRentPence: rent,
      weeklyHousingBenefitPence: hb,
      weeklyCouncilTaxReductionPence: ctr,
      paymentFrequency,
      paidTo: rng.chance(0.6) ? 'Landlord' : 'Claimant',
      nextPaymentDate:
        status === 'Live' && hb !== undefined ? addDays(asOf, rng.int(1, 28)) : undefined,
      evidenceOutstanding:
        status === 'Awaiting evidence'
          ? [...new Set([rng.pick(EVIDENCE), rng.pick(EVIDENCE)])]
          : [],
    };
  });
  return dataSet(BENEFITS_CLAIM_REFERENCE, items);
}

/** All three data sets for a seed. */
export function generateDataSets(options: DataSetOptions): DataSets {
  return Object.freeze({
    councilTax: generateCouncilTax(options.seed, options.asOf, options.councilTaxAccounts),
    businessRates: generateBusinessRates(
      options.seed,
      options.asOf,
      options.businessRatesProperties,
    ),
    benefits: generateBenefits(options.seed, options.asOf, options.benefitsClaims),
  });
}
