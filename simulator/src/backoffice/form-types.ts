// The council online form types whose PDFs and evidence the relay drops into file shares
// (the guide: "Post PDFs/Evidence for >100 online forms into different file locations").
// In: nothing, or a configured override map. Out: a fixed, ordered list of 130+ form types
// grouped by the department that owns them, and the map form type → folder (relative to the
// run directory's shares/), by default "<department>/<form-type>": one folder each. Pure.

/** Form types by department. The list is data: its order and names never change at run time. */
export const FORM_TYPES_BY_DEPARTMENT: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'revenues-council-tax': [
    'council-tax-single-person-discount',
    'council-tax-move-in',
    'council-tax-move-out',
    'council-tax-moving-within-area',
    'council-tax-direct-debit',
    'council-tax-empty-property-exemption',
    'council-tax-student-exemption',
    'council-tax-disabled-band-reduction',
    'council-tax-severe-mental-impairment',
    'council-tax-care-leaver-discount',
    'council-tax-second-home',
    'council-tax-banding-appeal',
    'council-tax-refund-request',
    'council-tax-e-billing-signup',
    'council-tax-change-of-name',
  ],
  'revenues-business-rates': [
    'business-rates-small-business-relief',
    'business-rates-direct-debit',
    'business-rates-move-in',
    'business-rates-move-out',
    'business-rates-charitable-relief',
    'business-rates-hardship-relief',
    'business-rates-empty-property',
    'business-rates-refund-request',
    'business-rates-retail-relief',
  ],
  benefits: [
    'housing-benefit-claim',
    'council-tax-reduction-claim',
    'change-of-circumstances',
    'discretionary-housing-payment',
    'benefits-evidence-upload',
    'housing-benefit-overpayment-appeal',
    'free-school-meals',
    'school-clothing-grant',
    'household-support-fund',
  ],
  waste: [
    'missed-bin-collection',
    'bulky-waste-collection',
    'garden-waste-subscription',
    'new-bin-request',
    'replacement-bin-request',
    'assisted-bin-collection',
    'clinical-waste-collection',
    'commercial-waste-enquiry',
    'fly-tipping-report',
    'litter-report',
    'dog-fouling-report',
    'abandoned-vehicle-report',
    'graffiti-report',
    'street-cleaning-request',
  ],
  highways: [
    'pothole-report',
    'street-light-fault',
    'blocked-drain-report',
    'pavement-defect-report',
    'road-sign-damage',
    'overhanging-vegetation',
    'dropped-kerb-application',
    'skip-permit-application',
    'scaffolding-licence',
    'road-closure-application',
    'highway-obstruction-report',
    'winter-gritting-request',
  ],
  parking: [
    'resident-parking-permit',
    'visitor-parking-permit',
    'business-parking-permit',
    'penalty-charge-notice-challenge',
    'penalty-charge-notice-payment',
    'blue-badge-application',
    'blue-badge-renewal',
    'blue-badge-lost-or-stolen',
    'disabled-parking-bay-request',
  ],
  planning: [
    'planning-comment',
    'planning-pre-application-advice',
    'building-control-application',
    'tree-works-application',
    'dangerous-structure-report',
    'planning-enforcement-complaint',
    'street-naming-and-numbering',
    'land-charges-search',
  ],
  licensing: [
    'hackney-carriage-driver-licence',
    'private-hire-vehicle-licence',
    'premises-licence-application',
    'temporary-event-notice',
    'personal-licence-application',
    'street-trading-consent',
    'animal-boarding-licence',
    'dog-breeding-licence',
    'gambling-premises-licence',
    'scrap-metal-dealer-licence',
    'hmo-licence-application',
    'pavement-licence',
    'charity-street-collection-permit',
  ],
  'environmental-health': [
    'noise-complaint',
    'food-hygiene-complaint',
    'food-business-registration',
    'pest-control-request',
    'air-quality-complaint',
    'bonfire-smoke-complaint',
    'stray-dog-report',
    'dog-warden-request',
    'contaminated-land-enquiry',
    'private-water-supply',
    'light-nuisance-complaint',
    'housing-disrepair-complaint',
    'health-and-safety-complaint',
  ],
  housing: [
    'housing-register-application',
    'homelessness-prevention',
    'disabled-facilities-grant',
    'tenancy-fraud-report',
    'empty-home-report',
    'home-energy-grant',
  ],
  'social-care': [
    'adult-social-care-referral',
    'carers-assessment-request',
    'safeguarding-adult-concern',
    'childrens-services-referral',
    'occupational-therapy-request',
    'financial-assessment-form',
    'direct-payments-application',
  ],
  education: [
    'school-admission-application',
    'in-year-school-transfer',
    'school-transport-application',
    'child-employment-permit',
    'elective-home-education-notice',
    'early-years-funding-application',
  ],
  registrars: [
    'birth-registration-appointment',
    'death-registration-appointment',
    'ceremony-booking',
    'certificate-copy-request',
    'citizenship-ceremony-booking',
  ],
  'customer-services': [
    'complaint-form',
    'compliment-form',
    'freedom-of-information-request',
    'subject-access-request',
    'councillor-enquiry',
    'petition-submission',
  ],
  elections: ['electoral-register-change', 'postal-vote-application', 'proxy-vote-application'],
  'parks-and-bereavement': [
    'allotment-application',
    'park-event-booking',
    'sports-pitch-booking',
    'memorial-bench-request',
    'burial-plot-purchase',
    'memorial-permit-application',
    'leisure-concession-card',
  ],
  'grants-and-trading-standards': [
    'community-grant-application',
    'business-grant-application',
    'trading-standards-complaint',
    'rogue-trader-report',
  ],
});

/** A form type name: lower-case words joined by hyphens, at most 64 characters. */
export const FORM_TYPE_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Every default form type, in order. */
export const DEFAULT_FORM_TYPES: readonly string[] = Object.freeze(
  Object.values(FORM_TYPES_BY_DEPARTMENT).flat(),
);

/** The default folder (relative to shares/) of every default form type. */
export function defaultFormTypeFolders(): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const [department, types] of Object.entries(FORM_TYPES_BY_DEPARTMENT)) {
    for (const type of types) out.set(type, `${department}/${type}`);
  }
  return out;
}

/**
 * The form type → folder map: the defaults (unless `onlyConfigured`) with `overrides` on top
 * (an override may move a default form type or add a new one).
 */
export function formTypeFolders(
  overrides: Readonly<Record<string, string>>,
  onlyConfigured: boolean,
): ReadonlyMap<string, string> {
  const out = new Map(onlyConfigured ? [] : defaultFormTypeFolders());
  for (const [type, folder] of Object.entries(overrides)) out.set(type, folder);
  return out;
}
