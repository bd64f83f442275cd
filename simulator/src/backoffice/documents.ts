// The document service: bills, letters and payment schedules as real PDFs made with pdf-lib.
// In: GET /documents/{council-tax|business-rates|benefits}/{reference}/{kind}.pdf with an
// optional ?size= (bytes, or with a K or M suffix: KiB, MiB). Out: application/pdf, the same
// bytes for the same seed and request: pdf-lib is told not to stamp the time (fixed creation
// and modification dates from the "as at" date) and writes no /ID.
//
// Size: the letter itself is a few KB. A larger `size` is reached exactly by an incremental
// update appended to it: an embedded file "transactions.csv" (a real, seeded transaction
// history, uncompressed) named in the catalogue, then an xref section and a trailer with
// /Prev. The update is streamed in 64 KiB chunks as it is generated, so a 50 MB document
// holds one chunk, not 50 MB (docs/backoffice.md has the measurement). A size below the
// letter's own is answered with the letter alone.
import { Readable } from 'node:stream';
import {
  PDFDocument,
  PDFHexString,
  PDFName,
  StandardFonts,
  rgb,
  type PDFFont,
  type PDFPage,
  type PDFRef,
} from 'pdf-lib';
import {
  BAND_D_PENCE,
  BAND_NINTHS,
  COUNCIL,
  PRECEPTS,
  addDays,
  financialYear,
  type BenefitsClaim,
  type BusinessRatesAccount,
  type CouncilTaxAccount,
  type DataSets,
  type Instalment,
} from './datasets';
import { SimBackOfficeError } from './errors';
import { Rng } from './prng';
import { lookup } from './retrieval';
import {
  noRoute,
  requireMethod,
  type BoRequest,
  type BoResponse,
  type ServiceHandler,
} from './service';
import { money } from './xml';

export const DOCUMENT_KINDS = Object.freeze({
  'council-tax': ['bill', 'payment-schedule', 'letter'],
  'business-rates': ['bill', 'payment-schedule'],
  benefits: ['letter'],
} as const);
export type DocumentService = keyof typeof DOCUMENT_KINDS;
export type DocumentKind = 'bill' | 'payment-schedule' | 'letter';

export interface DocumentRequest {
  readonly service: DocumentService;
  readonly reference: string;
  readonly kind: DocumentKind;
}

export interface DocumentOptions {
  readonly seed: string | number;
  readonly asOf: string;
  readonly data: DataSets;
}

/** A document ready to send: a small head (the letter, maybe the update's start) and the rest streamed. */
export interface RenderedDocument {
  readonly length: number;
  /** The letter alone, when no padding was asked for (then open() just yields it). */
  readonly base: Uint8Array;
  open(): Readable;
}

const CHUNK = 64 * 1024;
const A4: [number, number] = [595.28, 841.89];
const MARGIN = 56;
const ATTACHMENT = 'transactions.csv';

// ---------------------------------------------------------------------------------------
// Layout

class Writer {
  readonly #pdf: PDFDocument;
  readonly #font: PDFFont;
  readonly #bold: PDFFont;
  readonly #charset: ReadonlySet<number>;
  #page: PDFPage;
  #y = 0;
  readonly pages: PDFPage[] = [];

  constructor(pdf: PDFDocument, font: PDFFont, bold: PDFFont) {
    this.#pdf = pdf;
    this.#font = font;
    this.#bold = bold;
    this.#charset = new Set(font.getCharacterSet());
    this.#page = this.newPage();
  }

  newPage(): PDFPage {
    this.#page = this.#pdf.addPage(A4);
    this.pages.push(this.#page);
    this.#y = A4[1] - MARGIN;
    return this.#page;
  }

  /** Text the standard font can encode (WinAnsi): anything else becomes "?". */
  safe(text: string): string {
    let out = '';
    for (const ch of text) out += this.#charset.has(ch.codePointAt(0) ?? 0) ? ch : '?';
    return out;
  }

  ensure(height: number): void {
    if (this.#y - height < MARGIN + 20) this.newPage();
  }

  text(text: string, opts: { size?: number; bold?: boolean; x?: number; gap?: number } = {}): void {
    const size = opts.size ?? 10;
    this.ensure(size + 4);
    this.#page.drawText(this.safe(text), {
      x: opts.x ?? MARGIN,
      y: this.#y - size,
      size,
      font: opts.bold === true ? this.#bold : this.#font,
      color: rgb(0.1, 0.1, 0.1),
    });
    this.#y -= size + (opts.gap ?? 4);
  }

  /** A row of cells at x positions; a cell with `right` is aligned to end at its x. */
  row(
    cells: readonly { text: string; x: number; right?: boolean }[],
    bold = false,
    size = 9,
  ): void {
    this.ensure(size + 4);
    const font = bold ? this.#bold : this.#font;
    for (const c of cells) {
      const text = this.safe(c.text);
      const x = c.right === true ? c.x - font.widthOfTextAtSize(text, size) : c.x;
      this.#page.drawText(text, { x, y: this.#y - size, size, font, color: rgb(0.1, 0.1, 0.1) });
    }
    this.#y -= size + 5;
  }

  rule(): void {
    this.ensure(8);
    this.#page.drawLine({
      start: { x: MARGIN, y: this.#y - 2 },
      end: { x: A4[0] - MARGIN, y: this.#y - 2 },
      thickness: 0.5,
      color: rgb(0.5, 0.5, 0.5),
    });
    this.#y -= 8;
  }

  gap(points: number): void {
    this.#y -= points;
  }

  paragraph(text: string, size = 10): void {
    const width = A4[0] - 2 * MARGIN;
    let line = '';
    for (const word of this.safe(text).split(' ')) {
      const next = line === '' ? word : `${line} ${word}`;
      if (this.#font.widthOfTextAtSize(next, size) > width && line !== '') {
        this.text(line, { size, gap: 3 });
        line = word;
      } else {
        line = next;
      }
    }
    if (line !== '') this.text(line, { size, gap: 3 });
    this.gap(6);
  }

  footers(label: string): void {
    this.pages.forEach((p, i) => {
      p.drawText(this.safe(`${label}  -  page ${String(i + 1)} of ${String(this.pages.length)}`), {
        x: MARGIN,
        y: MARGIN - 24,
        size: 7,
        font: this.#font,
        color: rgb(0.4, 0.4, 0.4),
      });
      p.drawText('Simulated by relaycheck: not a real council document.', {
        x: MARGIN,
        y: MARGIN - 34,
        size: 7,
        font: this.#font,
        color: rgb(0.4, 0.4, 0.4),
      });
    });
  }
}

function letterhead(w: Writer, recipient: readonly string[], date: string, title: string): void {
  w.text(COUNCIL.name, { size: 16, bold: true });
  for (const line of COUNCIL.address) w.text(line, { size: 8, gap: 1 });
  w.text(`Telephone ${COUNCIL.phone}   ${COUNCIL.web}`, { size: 8 });
  w.gap(18);
  for (const line of recipient) w.text(line, { size: 10, gap: 2 });
  w.gap(14);
  w.text(`Date: ${longDate(date)}`, { size: 9 });
  w.gap(8);
  w.text(title, { size: 14, bold: true, gap: 8 });
}

/** "£1,234.56", or "-£12.00" for a credit. */
function pounds(pence: number): string {
  const [whole = '0', frac = '00'] = money(Math.abs(pence)).split('.');
  return `${pence < 0 ? '-' : ''}£${whole.replace(/\B(?=(\d{3})+$)/g, ',')}.${frac}`;
}

function longDate(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

function addressLines(a: {
  lines: readonly string[];
  town: string;
  county: string;
  postcode: string;
}): string[] {
  return [...a.lines, a.town, a.county, a.postcode];
}

function instalmentTable(w: Writer, list: readonly Instalment[]): void {
  w.row(
    [
      { text: 'No.', x: MARGIN },
      { text: 'Due date', x: MARGIN + 40 },
      { text: 'Amount', x: MARGIN + 250, right: true },
      { text: 'Status', x: MARGIN + 290 },
    ],
    true,
  );
  for (const i of list) {
    w.row([
      { text: String(i.number), x: MARGIN },
      { text: longDate(i.dueDate), x: MARGIN + 40 },
      { text: pounds(i.amountPence), x: MARGIN + 250, right: true },
      { text: i.status, x: MARGIN + 290 },
    ]);
  }
}

const PAYMENT_TEXT =
  'Pay by Direct Debit: it is the easiest way to pay. You can also pay online, by telephone using a debit or credit card, or at any Post Office or PayPoint outlet using the barcode on your payment card. If you are having difficulty paying, contact us as soon as possible: we can help.';

function councilTaxBill(w: Writer, a: CouncilTaxAccount, asOf: string): void {
  const year = financialYear(asOf);
  const names = a.liableParties.map((p) => `${p.title} ${p.forename} ${p.surname}`);
  letterhead(
    w,
    [...names, ...addressLines(a.address)],
    addDays(year.start, -21),
    `Council Tax Bill ${a.year}`,
  );
  w.row(
    [
      { text: 'Account reference', x: MARGIN },
      { text: a.reference, x: MARGIN + 140 },
    ],
    true,
  );
  w.row([
    { text: 'Property reference (UPRN)', x: MARGIN },
    { text: a.uprn, x: MARGIN + 140 },
  ]);
  w.row([
    { text: 'Valuation band', x: MARGIN },
    { text: a.band, x: MARGIN + 140 },
  ]);
  w.row([
    { text: 'Property', x: MARGIN },
    { text: [...a.address.lines, a.address.town, a.address.postcode].join(', '), x: MARGIN + 140 },
  ]);
  w.gap(8);
  w.rule();
  w.row(
    [
      { text: 'Charge', x: MARGIN },
      { text: 'Band D', x: MARGIN + 330, right: true },
      { text: `Band ${a.band}`, x: MARGIN + 440, right: true },
    ],
    true,
  );
  let allocated = 0;
  PRECEPTS.forEach((p, i) => {
    const bandD = Math.round(BAND_D_PENCE * p.share);
    const yours =
      i === PRECEPTS.length - 1
        ? a.annualChargePence - allocated
        : Math.round((bandD * BAND_NINTHS[a.band]) / 9);
    allocated += yours;
    w.row([
      { text: p.name, x: MARGIN },
      { text: pounds(bandD), x: MARGIN + 330, right: true },
      { text: pounds(yours), x: MARGIN + 440, right: true },
    ]);
  });
  w.row(
    [
      { text: 'Annual charge', x: MARGIN },
      { text: pounds(a.annualChargePence), x: MARGIN + 440, right: true },
    ],
    true,
  );
  for (const adj of a.adjustments) {
    w.row([
      { text: adj.description, x: MARGIN },
      { text: pounds(adj.amountPence), x: MARGIN + 440, right: true },
    ]);
  }
  w.row(
    [
      { text: 'Amount payable', x: MARGIN },
      { text: pounds(a.netChargePence), x: MARGIN + 440, right: true },
    ],
    true,
  );
  w.rule();
  w.text(`Your instalments (${a.paymentMethod})`, { bold: true, size: 11 });
  instalmentTable(w, a.instalments);
  w.gap(10);
  w.paragraph(PAYMENT_TEXT);
  w.paragraph(
    'Discounts and exemptions: if you live alone you may be entitled to a 25% single person discount. Some properties are exempt, for example those occupied only by students. Tell us within 21 days of any change that may affect your bill, or you may have to pay a penalty of £70.',
  );
  w.footers(`Council Tax Bill ${a.year} - ${a.reference}`);
}

function schedule(
  w: Writer,
  title: string,
  reference: string,
  recipient: readonly string[],
  asOf: string,
  list: readonly Instalment[],
  netPence: number,
  paidPence: number,
): void {
  letterhead(w, recipient, asOf, title);
  w.row(
    [
      { text: 'Reference', x: MARGIN },
      { text: reference, x: MARGIN + 140 },
    ],
    true,
  );
  w.gap(6);
  instalmentTable(w, list);
  w.rule();
  w.row(
    [
      { text: 'Total payable', x: MARGIN },
      { text: pounds(netPence), x: MARGIN + 250, right: true },
    ],
    true,
  );
  w.row([
    { text: 'Paid to date', x: MARGIN },
    { text: pounds(paidPence), x: MARGIN + 250, right: true },
  ]);
  w.row(
    [
      { text: 'Balance', x: MARGIN },
      { text: pounds(netPence - paidPence), x: MARGIN + 250, right: true },
    ],
    true,
  );
  w.gap(10);
  w.paragraph(PAYMENT_TEXT);
  w.footers(`${title} - ${reference}`);
}

function councilTaxLetter(w: Writer, a: CouncilTaxAccount, asOf: string): void {
  const names = a.liableParties.map((p) => `${p.title} ${p.forename} ${p.surname}`);
  const overdue = a.instalments.filter((i) => i.status === 'Overdue');
  const title =
    overdue.length === 0
      ? 'Council Tax: statement of account'
      : `Council Tax: ${a.recoveryStage === 'Reminder' ? 'reminder notice' : 'final notice'}`;
  letterhead(w, [...names, ...addressLines(a.address)], asOf, title);
  w.row(
    [
      { text: 'Account reference', x: MARGIN },
      { text: a.reference, x: MARGIN + 140 },
    ],
    true,
  );
  w.gap(6);
  const first = a.liableParties[0];
  w.paragraph(`Dear ${first === undefined ? 'Sir or Madam' : `${first.title} ${first.surname}`},`);
  if (overdue.length === 0) {
    w.paragraph(
      `Thank you for your payments. Your account for ${a.year} is up to date: you have paid ${pounds(a.paidPence)} and the balance for the year is ${pounds(a.balancePence)}.`,
    );
  } else {
    const owed = overdue.reduce((s, i) => s + i.amountPence, 0);
    w.paragraph(
      `Our records show that instalments totalling ${pounds(owed)} have not been paid. Please pay this amount within 7 days. If you do not, you will lose the right to pay by instalments and the full balance of ${pounds(a.balancePence)} will become due.`,
    );
    w.paragraph(
      'If you have already paid, thank you, and please ignore this notice. If you are having difficulty paying, please contact us now: you may be entitled to Council Tax Reduction.',
    );
  }
  w.paragraph('Yours sincerely,');
  w.paragraph('Revenues Manager');
  w.footers(`${title} - ${a.reference}`);
}

function businessRatesBill(w: Writer, a: BusinessRatesAccount, asOf: string): void {
  const year = financialYear(asOf);
  letterhead(
    w,
    [a.ratepayer.name, ...addressLines(a.address)],
    addDays(year.start, -21),
    `Business Rates Bill ${a.year}`,
  );
  w.row(
    [
      { text: 'Property reference', x: MARGIN },
      { text: a.reference, x: MARGIN + 140 },
    ],
    true,
  );
  w.row([
    { text: 'Description', x: MARGIN },
    { text: a.description, x: MARGIN + 140 },
  ]);
  w.row([
    { text: 'Rateable value', x: MARGIN },
    { text: `£${a.rateableValuePounds.toLocaleString('en-GB')}`, x: MARGIN + 140 },
  ]);
  w.row([
    { text: `${a.multiplier.name} multiplier`, x: MARGIN },
    { text: `${(a.multiplier.thousandths / 10).toFixed(1)}p`, x: MARGIN + 140 },
  ]);
  w.rule();
  w.row([
    { text: 'Gross charge', x: MARGIN },
    { text: pounds(a.grossChargePence), x: MARGIN + 440, right: true },
  ]);
  for (const r of a.reliefs) {
    w.row([
      { text: r.description, x: MARGIN },
      { text: pounds(r.amountPence), x: MARGIN + 440, right: true },
    ]);
  }
  w.row(
    [
      { text: 'Amount payable', x: MARGIN },
      { text: pounds(a.netChargePence), x: MARGIN + 440, right: true },
    ],
    true,
  );
  w.rule();
  w.text(`Instalments (${a.paymentMethod})`, { bold: true, size: 11 });
  instalmentTable(w, a.instalments);
  w.gap(10);
  w.paragraph(
    'Explanatory notes: the rateable value is set by the Valuation Office Agency. If you think it is wrong, you can check and challenge it through the VOA. Relief from business rates may be available; please contact us for details.',
  );
  w.footers(`Business Rates Bill ${a.year} - ${a.reference}`);
}

function benefitsLetter(w: Writer, c: BenefitsClaim, asOf: string): void {
  const name = `${c.claimant.title} ${c.claimant.forename} ${c.claimant.surname}`;
  letterhead(
    w,
    [name, ...addressLines(c.address)],
    asOf,
    'Housing Benefit and Council Tax Reduction: decision notice',
  );
  w.row(
    [
      { text: 'Claim number', x: MARGIN },
      { text: c.reference, x: MARGIN + 140 },
    ],
    true,
  );
  w.row([
    { text: 'National Insurance number', x: MARGIN },
    { text: c.claimant.nino, x: MARGIN + 140 },
  ]);
  w.row([
    { text: 'Date of claim', x: MARGIN },
    { text: longDate(c.dateOfClaim), x: MARGIN + 140 },
  ]);
  w.row([
    { text: 'Status', x: MARGIN },
    { text: c.status, x: MARGIN + 140 },
  ]);
  w.gap(6);
  w.paragraph(`Dear ${c.claimant.title} ${c.claimant.surname},`);
  w.paragraph(
    'We have worked out your entitlement. The weekly amounts below apply from the Monday after the date of this letter.',
  );
  const rows: [string, number | undefined][] = [
    ['Eligible rent', c.weeklyEligibleRentPence],
    ['Housing Benefit', c.weeklyHousingBenefitPence],
    ['Council Tax Reduction', c.weeklyCouncilTaxReductionPence],
  ];
  for (const [label, pence] of rows) {
    if (pence !== undefined)
      w.row([
        { text: label, x: MARGIN },
        { text: `${pounds(pence)} a week`, x: MARGIN + 300, right: true },
      ]);
  }
  w.row([
    { text: 'Paid', x: MARGIN },
    { text: `${c.paymentFrequency}, to the ${c.paidTo.toLowerCase()}`, x: MARGIN + 140 },
  ]);
  if (c.nextPaymentDate !== undefined)
    w.row([
      { text: 'Next payment', x: MARGIN },
      { text: longDate(c.nextPaymentDate), x: MARGIN + 140 },
    ]);
  w.gap(8);
  if (c.evidenceOutstanding.length > 0) {
    w.text('We still need the following from you:', { bold: true });
    for (const e of c.evidenceOutstanding) w.text(`-  ${e}`, { x: MARGIN + 10 });
    w.gap(6);
  }
  w.paragraph(
    'You must tell us straight away about any change in your circumstances, for example if your income, your rent or the people living with you change. If you do not, you may be overpaid and have to pay the money back.',
  );
  w.paragraph(
    'If you disagree with this decision you can ask us to explain it, ask us to look at it again, or appeal to an independent tribunal. You must do so within one calendar month of the date of this letter.',
  );
  w.footers(`Decision notice - claim ${c.reference}`);
}

// ---------------------------------------------------------------------------------------
// The PDF: the letter by pdf-lib, then (when padded) the streamed incremental update.

interface Base {
  readonly bytes: Uint8Array;
  /** Present when the catalogue names the attachment the update will hold. */
  readonly update:
    | {
        readonly file: PDFRef;
        readonly spec: PDFRef;
        readonly root: string;
        readonly info: string;
        readonly size: number;
      }
    | undefined;
}

function titleOf(req: DocumentRequest): string {
  const kinds: Record<DocumentKind, string> = {
    bill: 'Bill',
    'payment-schedule': 'Payment schedule',
    letter: 'Letter',
  };
  const services: Record<DocumentService, string> = {
    'council-tax': 'Council Tax',
    'business-rates': 'Business Rates',
    benefits: 'Benefits',
  };
  return `${services[req.service]} ${kinds[req.kind]} ${req.reference}`;
}

async function renderBase(
  req: DocumentRequest,
  options: DocumentOptions,
  padded: boolean,
): Promise<Base> {
  const pdf = await PDFDocument.create({ updateMetadata: false });
  const fixed = new Date(`${options.asOf}T09:00:00Z`);
  pdf.setTitle(titleOf(req));
  pdf.setAuthor(COUNCIL.name);
  pdf.setSubject(`${req.kind} for ${req.reference}`);
  pdf.setCreator('relaycheck back-office simulator');
  pdf.setProducer('pdf-lib 1.17.1');
  pdf.setCreationDate(fixed);
  pdf.setModificationDate(fixed);
  let update: Base['update'];
  if (padded) {
    const file = pdf.context.nextRef();
    const spec = pdf.context.nextRef();
    pdf.catalog.set(
      PDFName.of('Names'),
      pdf.context.obj({
        EmbeddedFiles: pdf.context.obj({ Names: [PDFHexString.fromText(ATTACHMENT), spec] }),
      }),
    );
    update = { file, spec, root: '', info: '', size: 0 };
  }
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  const w = new Writer(pdf, font, bold);
  const data = options.data;
  if (req.service === 'council-tax') {
    const a = lookup(data.councilTax, req.reference);
    if (req.kind === 'bill') councilTaxBill(w, a, options.asOf);
    else if (req.kind === 'letter') councilTaxLetter(w, a, options.asOf);
    else
      schedule(
        w,
        `Council Tax payment schedule ${a.year}`,
        a.reference,
        [
          ...a.liableParties.map((p) => `${p.title} ${p.forename} ${p.surname}`),
          ...addressLines(a.address),
        ],
        options.asOf,
        a.instalments,
        a.netChargePence,
        a.paidPence,
      );
  } else if (req.service === 'business-rates') {
    const a = lookup(data.businessRates, req.reference);
    if (req.kind === 'bill') businessRatesBill(w, a, options.asOf);
    else
      schedule(
        w,
        `Business Rates payment schedule ${a.year}`,
        a.reference,
        [a.ratepayer.name, ...addressLines(a.address)],
        options.asOf,
        a.instalments,
        a.netChargePence,
        a.paidPence,
      );
  } else {
    benefitsLetter(w, lookup(data.benefits, req.reference), options.asOf);
  }
  const bytes = await pdf.save({
    useObjectStreams: false,
    addDefaultPage: false,
    updateFieldAppearances: false,
  });
  if (update !== undefined) {
    const { Root, Info } = pdf.context.trailerInfo;
    update = {
      ...update,
      root: String(Root),
      info: Info === undefined ? '' : String(Info),
      size: pdf.context.largestObjectNumber + 1,
    };
  }
  return { bytes, update };
}

function pdfDate(asOf: string): string {
  return `D:${asOf.replace(/-/g, '')}090000Z`;
}

/** The pieces of the incremental update around the attachment's `length` bytes. */
function updateParts(
  base: Base,
  asOf: string,
  length: number,
  filler: number,
): { head: string; tail: string } {
  const u = base.update;
  if (u === undefined) throw new Error('updateParts: the base has no attachment slot');
  const text = Buffer.from(base.bytes.subarray(Math.max(0, base.bytes.length - 64))).toString(
    'latin1',
  );
  const prev = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)?.[1];
  if (prev === undefined) throw new Error('updateParts: no startxref in the base document');
  const lead = base.bytes[base.bytes.length - 1] === 0x0a ? '' : '\n';
  const n1 = u.file.objectNumber;
  const n2 = u.spec.objectNumber;
  const head =
    `${lead}${String(n1)} 0 obj\n<< /Type /EmbeddedFile /Subtype /text#2Fcsv /Length ${String(length)} ` +
    `/Params << /Size ${String(length)} /ModDate (${pdfDate(asOf)}) >> >>\nstream\n`;
  const off1 = base.bytes.length + lead.length;
  const afterStream = '\nendstream\nendobj\n';
  const obj2 =
    `${String(n2)} 0 obj\n<< /Type /Filespec /F (${ATTACHMENT}) /UF (${ATTACHMENT}) ` +
    `/Desc (Transaction history) /EF << /F ${String(n1)} 0 R >> >>\nendobj\n`;
  const off2 = base.bytes.length + head.length + length + afterStream.length;
  const xrefAt = off2 + obj2.length + filler;
  const entry = (offset: number, n: number): string =>
    `${String(n)} 1\n${String(offset).padStart(10, '0')} 00000 n \n`;
  const xref =
    `xref\n${entry(off1, n1)}${entry(off2, n2)}trailer\n<< /Size ${String(u.size)} /Root ${u.root}` +
    `${u.info === '' ? '' : ` /Info ${u.info}`} /Prev ${prev} >>\nstartxref\n${String(xrefAt)}\n%%EOF\n`;
  return { head, tail: `${afterStream}${obj2}${'\n'.repeat(filler)}${xref}` };
}

/** A seeded transaction history, exactly `length` bytes of ASCII CSV, in 64 KiB chunks. */
function* transactions(
  seed: string | number,
  req: DocumentRequest,
  asOf: string,
  length: number,
): Generator<Buffer> {
  const rng = new Rng(seed, 'documents', req.service, req.reference, req.kind);
  // Payments reduce the balance (negative amounts); charges, costs and refunds raise it.
  const kinds: readonly (readonly [string, number])[] = [
    ['Payment received - Direct Debit', -1],
    ['Payment received - card', -1],
    ['Payment received - PayPoint', -1],
    ['Payment received - BACS', -1],
    ['Adjustment - discount', -1],
    ['Charge raised', 1],
    ['Summons costs', 1],
    ['Refund issued', 1],
  ];
  const days: string[] = [];
  for (let i = 0; i < 3650; i++) days.push(addDays(asOf, -i));
  let left = length;
  let balance = 0;
  let n = 0;
  let text = 'Date,Transaction,Reference,Amount (GBP),Balance (GBP)\n';
  while (left > 0) {
    while (text.length < CHUNK) {
      const [what, sign] = rng.pick(kinds);
      const amount = rng.int(500, 250_000) * sign;
      balance += amount;
      text += `${days[n % days.length] ?? asOf},${what},TX${String(n).padStart(9, '0')},${money(amount)},${money(balance)}\n`;
      n++;
    }
    // The last piece is cut to fit and still ends with a newline.
    const piece = text.length < left ? text : `${text.slice(0, left - 1)}\n`;
    yield Buffer.from(piece, 'latin1');
    left -= piece.length;
    text = '';
  }
}

/** The document for `req`: exactly `size` bytes when that is at least 1 KiB over the letter alone. */
export async function renderDocument(
  req: DocumentRequest,
  options: DocumentOptions,
  size: number | undefined,
): Promise<RenderedDocument> {
  const plainDocument = async (): Promise<RenderedDocument> => {
    const plain = await renderBase(req, options, false);
    return {
      length: plain.bytes.length,
      base: plain.bytes,
      open: () => Readable.from([Buffer.from(plain.bytes)]),
    };
  };
  if (size === undefined) return plainDocument();
  const base = await renderBase(req, options, true);
  // The update costs a few hundred bytes plus at least one attachment byte.
  if (size < base.bytes.length + 600) return plainDocument();
  // Solve total(L) = size; the digits of L and of the offsets move the overhead a little, so
  // iterate, then make up any byte left over with blank lines before the xref.
  let length = size - base.bytes.length;
  for (let i = 0; i < 6; i++) {
    const p = updateParts(base, options.asOf, length, 0);
    const total = base.bytes.length + p.head.length + length + p.tail.length;
    if (total === size) break;
    length += size - total;
  }
  const over = (): number => {
    const p = updateParts(base, options.asOf, length, 0);
    return base.bytes.length + p.head.length + length + p.tail.length - size;
  };
  if (over() > 0) length -= over();
  const filler = -over();
  if (length < 1 || filler < 0) return plainDocument();
  const parts = updateParts(base, options.asOf, length, filler);
  const total = base.bytes.length + parts.head.length + length + parts.tail.length;
  const seed = options.seed;
  const asOf = options.asOf;
  return {
    length: total,
    base: base.bytes,
    open: () =>
      Readable.from(
        (function* (): Generator<Buffer> {
          yield Buffer.from(base.bytes);
          yield Buffer.from(parts.head, 'latin1');
          yield* transactions(seed, req, asOf, length);
          yield Buffer.from(parts.tail, 'latin1');
        })(),
      ),
  };
}

/** Parses ?size=: bytes, or a whole number of KiB ("K") or MiB ("M"). */
export function parseSize(text: string | null, max: number): number | undefined {
  if (text === null || text === '') return undefined;
  const m = /^(\d{1,10})([KkMm]?)$/.exec(text);
  if (m === null) {
    throw new SimBackOfficeError(
      'SIM_E_BO_ARGUMENT',
      'size is a whole number of bytes, or of KiB (K) or MiB (M)',
      { size: text.slice(0, 32) },
    );
  }
  const unit = m[2]?.toUpperCase() === 'K' ? 1024 : m[2]?.toUpperCase() === 'M' ? 1_048_576 : 1;
  const size = Number(m[1]) * unit;
  if (size > max) {
    throw new SimBackOfficeError(
      'SIM_E_BO_ARGUMENT',
      `size ${String(size)} is over the limit of ${String(max)} bytes`,
      { size, max },
    );
  }
  return size;
}

/** The document service: GET|HEAD /documents/{service}/{reference}/{kind}.pdf[?size=]. */
export function documentsHandler(
  options: DocumentOptions & { readonly maxBytes: number },
): ServiceHandler {
  return async (req: BoRequest): Promise<BoResponse> => {
    const [root, service, reference, file, ...rest] = req.segments;
    const kinds =
      service !== undefined && Object.hasOwn(DOCUMENT_KINDS, service)
        ? (DOCUMENT_KINDS[service as DocumentService] as readonly string[])
        : undefined;
    const kind = file?.endsWith('.pdf') === true ? file.slice(0, -4) : undefined;
    if (
      root !== 'documents' ||
      kinds === undefined ||
      reference === undefined ||
      kind === undefined ||
      !kinds.includes(kind) ||
      rest.length > 0
    ) {
      throw noRoute(req);
    }
    requireMethod(req, ['GET', 'HEAD']);
    req.note({ reference: reference.slice(0, 64) });
    const size = parseSize(req.query.get('size'), options.maxBytes);
    const doc = await renderDocument(
      { service: service as DocumentService, reference, kind: kind as DocumentKind },
      options,
      size,
    );
    return {
      status: 200,
      headers: {
        'content-type': 'application/pdf',
        'content-disposition': `inline; filename="${service ?? ''}-${reference}-${kind}.pdf"`,
      },
      body: { length: doc.length, open: () => doc.open() },
    };
  };
}
