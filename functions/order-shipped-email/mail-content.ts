/**
 * The shipped-mail for one order: a view model built from the order (every value from Ongoing cleaned of
 * control characters and capped in length; only http(s) addresses become links), rendered into a subject,
 * an HTML body (Handlebars escapes every value) and a plain-text body. Templates are compiled once per container.
 */
import Handlebars from "handlebars";
import type { OngoingOrder } from "../shared/ongoing/model.ts";
import type { Language } from "./branding.ts";
import { type CopyKey, copy, htmlTemplate, textTemplate } from "./templates.ts";

export interface ShippedMail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  readonly language: Language;
}

export interface MailView {
  readonly language: Language;
  readonly subject: string;
  readonly brandName: string;
  readonly orderNumber: string;
  readonly consigneeName: string;
  readonly transporter: string;
  readonly lines: readonly { name: string; articleNumber: string; quantity: string }[];
  readonly tracking: readonly { waybill: string; url: string | null }[];
  readonly parcels: readonly { parcelNumber: string; url: string | null }[];
  readonly address: readonly string[];
}

export const subjectMaxLength = 150;
const fieldMaxLength = 200;
const urlMaxLength = 2000;

const locales: Record<Language, string> = { sv: "sv-SE", en: "en-GB" };

// Control characters (incl. CR/LF, C1), line/paragraph separators and bidi overrides; ZWJ stays for emoji.
const unsafeCharacters = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu;
const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/** One line of plain text: no control characters, single spaces, at most `max` characters (by grapheme). */
export function cleanText(value: unknown, max = fieldMaxLength): string {
  if (value === null || value === undefined) return "";
  const text = String(value).replace(unsafeCharacters, " ").replace(/\s+/gu, " ").trim();
  const parts = Array.from(graphemes.segment(text), (part) => part.segment);
  return parts.length <= max
    ? text
    : `${parts
        .slice(0, max - 1)
        .join("")
        .trimEnd()}…`;
}

/** The address as a link target, or null unless it is an absolute http(s) URL. */
export function safeLink(value: string | null | undefined): string | null {
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  return url.href.length <= urlMaxLength ? url.href : null;
}

function fill(language: Language, key: CopyKey, values: Record<string, unknown>): string {
  return copy[language][key].replace(/\{(\w+)\}/g, (_match, name: string) => String(values[name] ?? ""));
}

function countryName(code: string, language: Language): string {
  if (!/^[A-Za-z]{2}$/.test(code)) return code;
  try {
    return new Intl.DisplayNames([locales[language]], { type: "region" }).of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

export function mailView(
  order: OngoingOrder,
  options: { language: Language; brandName?: string | undefined },
): MailView {
  const { language } = options;
  const quantity = new Intl.NumberFormat(locales[language], { maximumFractionDigits: 3 });
  const brandName = cleanText(options.brandName || order.goodsOwner.name);
  const orderNumber = cleanText(
    order.orderInfo.orderNumber || order.orderInfo.goodsOwnerOrderId || order.orderInfo.orderId,
  );
  const subjectValues = { brand: brandName, order: orderNumber };
  const subject = cleanText(
    fill(language, brandName ? "subject" : "subjectWithoutBrand", subjectValues),
    subjectMaxLength,
  );
  const consignee = order.consignee;
  const transporter = order.transporter;

  const lines = (order.orderLines ?? []).flatMap((line) => {
    const count = line.pickedNumberOfItems ?? line.orderedNumberOfItems ?? 0;
    if (count <= 0) return [];
    const articleNumber = cleanText(line.article?.articleNumber);
    return [
      {
        name: cleanText(line.article?.articleName) || articleNumber,
        articleNumber,
        quantity: quantity.format(count),
      },
    ];
  });
  const tracking = (order.tracking ?? [])
    .filter((entry) => entry.isReturn !== true)
    .map((entry) => ({ waybill: cleanText(entry.waybill), url: safeLink(entry.trackingUrl) }))
    .filter((entry) => entry.waybill || entry.url);
  const parcels = (order.parcels ?? [])
    .filter((parcel) => parcel.isReturnParcel !== true)
    .map((parcel) => ({
      parcelNumber: cleanText(parcel.parcelNumber),
      url: safeLink(parcel.tracking?.trackingUrl),
    }))
    .filter((parcel) => parcel.parcelNumber || parcel.url);
  const postalLine = [consignee?.postCode, consignee?.city].map((part) => cleanText(part)).filter(Boolean);
  const country = cleanText(consignee?.countryCode);
  const address = [
    cleanText(consignee?.name),
    cleanText(consignee?.address1),
    cleanText(consignee?.address2),
    cleanText(consignee?.address3),
    postalLine.join(" "),
    country ? cleanText(countryName(country, language)) : "",
  ].filter(Boolean);

  return {
    language,
    subject,
    brandName,
    orderNumber,
    consigneeName: cleanText(consignee?.name),
    transporter: cleanText(transporter?.transporterName || transporter?.name),
    lines,
    tracking,
    parcels,
    address,
  };
}

function compile(template: string, format: "html" | "text"): HandlebarsTemplateDelegate<MailView> {
  const handlebars = Handlebars.create();
  // `t` fills a phrase of the mail's language; the HTML instance then escapes the result like any value.
  handlebars.registerHelper("t", function (this: unknown, key: CopyKey, options: Handlebars.HelperOptions) {
    const root = options.data.root as MailView;
    return fill(root.language, key, options.hash as Record<string, unknown>);
  });
  return handlebars.compile<MailView>(template, { strict: true, noEscape: format === "text" });
}

const renderHtml = compile(htmlTemplate, "html");
const renderText = compile(textTemplate, "text");

export function renderShippedMail(view: MailView): ShippedMail {
  return {
    subject: view.subject,
    html: renderHtml(view),
    text: renderText(view).replace(/\n{3,}/g, "\n\n"),
    language: view.language,
  };
}
