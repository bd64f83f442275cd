// The reference formats of the mock back-office systems, with their check digits. In: text
// from a URL path, or a serial number to format. Out: a valid reference, or the reason a
// text is not one. Pure. The formats are modelled on what UK revenues and benefits systems
// print on bills and letters (docs/backoffice.md describes each):
//
//   council tax account reference    10 digits: "60", a 7-digit serial, a mod-11 check digit
//   business rates property reference 14 digits: billing authority code 3905, an 8-digit
//                                     property serial, two ISO 7064 MOD 97-10 check digits
//   benefits claim number             8 digits: a 7-digit serial (first digit 1-9), a Luhn digit
import type { Rng } from './prng';

export interface ReferenceScheme {
  readonly name: string;
  readonly description: string;
  readonly pattern: RegExp;
  /** A new valid reference from the generator (never a serial whose check digit is void). */
  make(rng: Rng): string;
  /** Undefined when `text` is a valid reference; otherwise why not, in words. */
  problem(text: string): string | undefined;
}

/** Mod-11 over weights 10..2; 10 is void (such serials are never issued), 11 is 0. */
export function mod11(digits: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += Number(digits[i]) * (digits.length + 1 - i);
  const r = 11 - (sum % 11);
  if (r === 10) return undefined;
  return r === 11 ? 0 : r;
}

/** ISO 7064 MOD 97-10 check digits for a numeric string (as IBAN), "02".."98". */
export function mod97(digits: string): string {
  let rem = 0;
  for (const d of `${digits}00`) rem = (rem * 10 + Number(d)) % 97;
  return String(98 - rem).padStart(2, '0');
}

/** The Luhn check digit for a numeric string. */
export function luhn(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export const BILLING_AUTHORITY_CODE = '3905';

export const COUNCIL_TAX_REFERENCE: ReferenceScheme = Object.freeze({
  name: 'council tax account reference',
  description: '10 digits: 60, a 7-digit serial and a mod-11 check digit (e.g. 6001234565)',
  pattern: /^60\d{8}$/,
  make(rng: Rng): string {
    for (;;) {
      const body = `60${rng.digits(7)}`;
      const check = mod11(body);
      if (check !== undefined) return `${body}${check}`;
    }
  },
  problem(text: string): string | undefined {
    if (!/^60\d{8}$/.test(text)) return 'a council tax account reference is 10 digits starting 60';
    const check = mod11(text.slice(0, 9));
    if (check === undefined || String(check) !== text[9]) return 'the check digit is wrong';
    return undefined;
  },
});

export const BUSINESS_RATES_REFERENCE: ReferenceScheme = Object.freeze({
  name: 'business rates property reference',
  description: `14 digits: billing authority ${BILLING_AUTHORITY_CODE}, an 8-digit property serial and 2 MOD 97-10 check digits`,
  pattern: /^3905\d{10}$/,
  make(rng: Rng): string {
    const body = `${BILLING_AUTHORITY_CODE}${rng.digits(8)}`;
    return `${body}${mod97(body)}`;
  },
  problem(text: string): string | undefined {
    if (!/^3905\d{10}$/.test(text))
      return `a business rates property reference is 14 digits starting ${BILLING_AUTHORITY_CODE}`;
    if (mod97(text.slice(0, 12)) !== text.slice(12)) return 'the check digits are wrong';
    return undefined;
  },
});

export const BENEFITS_CLAIM_REFERENCE: ReferenceScheme = Object.freeze({
  name: 'benefits claim number',
  description: '8 digits: a 7-digit serial starting 1-9 and a Luhn check digit (e.g. 10000009)',
  pattern: /^[1-9]\d{7}$/,
  make(rng: Rng): string {
    const body = `${String(rng.int(1, 9))}${rng.digits(6)}`;
    return `${body}${luhn(body)}`;
  },
  problem(text: string): string | undefined {
    if (!/^[1-9]\d{7}$/.test(text))
      return 'a benefits claim number is 8 digits and does not start with 0';
    if (String(luhn(text.slice(0, 7))) !== text[7]) return 'the check digit is wrong';
    return undefined;
  },
});

/** A UK National Insurance number in the valid format (prefixes HMRC never issues avoided). */
export function nationalInsuranceNumber(rng: Rng): string {
  const first = 'ABCEGHJKLMNOPRSTWXYZ'.split('');
  const second = 'ABCEGHJKLMNPRSTWXYZ'.split('');
  const banned = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);
  for (;;) {
    const prefix = `${rng.pick(first)}${rng.pick(second)}`;
    if (!banned.has(prefix)) return `${prefix}${rng.digits(6)}${rng.pick(['A', 'B', 'C', 'D'])}`;
  }
}
