// The three retrieval services: council tax accounts, business rates properties, benefits
// claims. In: GET /accounts/{ref}, /properties/{ref} or /claims/{ref}. Out: the record as
// XML in the service's namespace (docs/backoffice.md has the shapes); 400 SIM_E_BO_REFERENCE
// for a malformed reference, 404 SIM_E_BO_NOT_FOUND (XML <Error>) for one not in the data
// set. Pure: the data set is generated from the seed, and rendering depends on nothing else.
import type {
  BenefitsClaim,
  BusinessRatesAccount,
  CouncilTaxAccount,
  DataSet,
  Address,
  Instalment,
  Adjustment,
} from './datasets';
import { SimBackOfficeError } from './errors';
import { XML_NS_BASE, el, leaf, money, renderXml, type XmlElement } from './xml';
import {
  noRoute,
  requireMethod,
  xmlResponse,
  type BoRequest,
  type ServiceHandler,
} from './service';

function addressXml(a: Address): XmlElement {
  return el(
    'Address',
    {},
    ...a.lines.map((l) => el('Line', {}, l)),
    el('Town', {}, a.town),
    el('County', {}, a.county),
    el('Postcode', {}, a.postcode),
  );
}

function instalmentsXml(list: readonly Instalment[]): XmlElement {
  return el(
    'Instalments',
    { count: list.length },
    ...list.map((i) =>
      el(
        'Instalment',
        { number: i.number, due: i.dueDate, status: i.status },
        money(i.amountPence),
      ),
    ),
  );
}

function adjustmentsXml(name: string, item: string, list: readonly Adjustment[]): XmlElement {
  return el(
    name,
    {},
    ...list.map((a) =>
      el(item, { type: a.type, description: a.description }, money(a.amountPence)),
    ),
  );
}

export function councilTaxXml(a: CouncilTaxAccount, asOf: string): string {
  return renderXml(
    el(
      'CouncilTaxAccount',
      { xmlns: `${XML_NS_BASE}:council-tax:v1`, reference: a.reference, asAt: asOf },
      el('Status', {}, a.status),
      el('OpenedOn', {}, a.openedOn),
      el('Property', { uprn: a.uprn, band: a.band }, addressXml(a.address)),
      el(
        'LiableParties',
        {},
        ...a.liableParties.map((p) =>
          el(
            'LiableParty',
            { role: p.role },
            el('Title', {}, p.title),
            el('Forename', {}, p.forename),
            el('Surname', {}, p.surname),
          ),
        ),
      ),
      el(
        'Charge',
        { year: a.year, currency: 'GBP' },
        el('Annual', {}, money(a.annualChargePence)),
        adjustmentsXml('Adjustments', 'Adjustment', a.adjustments),
        el('Net', {}, money(a.netChargePence)),
      ),
      el('PaymentMethod', {}, a.paymentMethod),
      instalmentsXml(a.instalments),
      el('Paid', { currency: 'GBP' }, money(a.paidPence)),
      el('Balance', { currency: 'GBP' }, money(a.balancePence)),
      el('RecoveryStage', {}, a.recoveryStage),
    ),
  );
}

export function businessRatesXml(a: BusinessRatesAccount, asOf: string): string {
  return renderXml(
    el(
      'BusinessRatesAccount',
      { xmlns: `${XML_NS_BASE}:business-rates:v1`, propertyReference: a.reference, asAt: asOf },
      el('Ratepayer', { type: a.ratepayer.type }, el('Name', {}, a.ratepayer.name)),
      el(
        'Property',
        {},
        el('Description', {}, a.description),
        addressXml(a.address),
        el(
          'RateableValue',
          { currency: 'GBP', effectiveFrom: a.effectiveFrom },
          a.rateableValuePounds,
        ),
      ),
      el(
        'Charge',
        { year: a.year, currency: 'GBP' },
        el('Multiplier', { name: a.multiplier.name }, (a.multiplier.thousandths / 1000).toFixed(3)),
        el('Gross', {}, money(a.grossChargePence)),
        adjustmentsXml('Reliefs', 'Relief', a.reliefs),
        el('Net', {}, money(a.netChargePence)),
      ),
      el('PaymentMethod', {}, a.paymentMethod),
      instalmentsXml(a.instalments),
      el('Paid', { currency: 'GBP' }, money(a.paidPence)),
      el('Balance', { currency: 'GBP' }, money(a.balancePence)),
    ),
  );
}

export function benefitsXml(c: BenefitsClaim, asOf: string): string {
  const weekly = (name: string, pence: number | undefined): XmlElement | undefined =>
    pence === undefined ? undefined : el(name, { currency: 'GBP', period: 'week' }, money(pence));
  return renderXml(
    el(
      'BenefitsClaim',
      { xmlns: `${XML_NS_BASE}:benefits:v1`, claimNumber: c.reference, asAt: asOf },
      el('Status', {}, c.status),
      el('DateOfClaim', {}, c.dateOfClaim),
      el('Schemes', {}, ...c.schemes.map((s) => el('Scheme', {}, s))),
      el(
        'Claimant',
        { nino: c.claimant.nino, dateOfBirth: c.claimant.dateOfBirth },
        el('Title', {}, c.claimant.title),
        el('Forename', {}, c.claimant.forename),
        el('Surname', {}, c.claimant.surname),
      ),
      c.partner === undefined
        ? undefined
        : el(
            'Partner',
            { nino: c.partner.nino },
            el('Title', {}, c.partner.title),
            el('Forename', {}, c.partner.forename),
            el('Surname', {}, c.partner.surname),
          ),
      el('Household', { dependants: c.dependants }),
      addressXml(c.address),
      el('Tenure', {}, c.tenure),
      el(
        'Entitlement',
        {},
        weekly('EligibleRent', c.weeklyEligibleRentPence),
        weekly('HousingBenefit', c.weeklyHousingBenefitPence),
        weekly('CouncilTaxReduction', c.weeklyCouncilTaxReductionPence),
        el('PaymentFrequency', {}, c.paymentFrequency),
        el('PaidTo', {}, c.paidTo),
        leaf('NextPaymentDate', c.nextPaymentDate),
      ),
      c.evidenceOutstanding.length === 0
        ? undefined
        : el('EvidenceOutstanding', {}, ...c.evidenceOutstanding.map((e) => el('Item', {}, e))),
    ),
  );
}

/** Looks a reference up: 400 when malformed, 404 when well-formed but unknown. */
export function lookup<T extends { readonly reference: string }>(
  set: DataSet<T>,
  reference: string,
): T {
  const problem = set.scheme.problem(reference);
  if (problem !== undefined) {
    throw new SimBackOfficeError(
      'SIM_E_BO_REFERENCE',
      `"${reference}" is not a ${set.scheme.name}: ${problem}`,
      { reference: reference.slice(0, 64) },
    );
  }
  const item = set.get(reference);
  if (item === undefined) {
    throw new SimBackOfficeError(
      'SIM_E_BO_NOT_FOUND',
      `no record has the ${set.scheme.name} ${reference}`,
      { reference },
    );
  }
  return item;
}

/** A retrieval service: GET|HEAD /<collection>/<reference>. */
export function retrievalHandler<T extends { readonly reference: string }>(
  collection: string,
  set: DataSet<T>,
  render: (item: T) => string,
): ServiceHandler {
  return (req: BoRequest) => {
    const [first, ref, ...rest] = req.segments;
    if (first !== collection || ref === undefined || ref === '' || rest.length > 0) {
      return Promise.reject(noRoute(req));
    }
    requireMethod(req, ['GET', 'HEAD']);
    req.note({ reference: ref.slice(0, 64) });
    return Promise.resolve(xmlResponse(200, render(lookup(set, ref))));
  };
}
