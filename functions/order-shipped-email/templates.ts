/**
 * The shipped-mail's words and layout. Words live in `copy` (one entry per language, `{name}` placeholders
 * filled by the `t` helper); layout lives in the two Handlebars templates, which only ever see the
 * view model built in `mail-content.ts`. The HTML template relies on Handlebars' escaping: never use `{{{ }}}`.
 */
import type { Language } from "./branding.ts";

export const copy = {
  sv: {
    subject: "{brand}: din order {order} har skickats",
    subjectWithoutBrand: "Din order {order} har skickats",
    heading: "Din order har skickats",
    greeting: "Hej {name}!",
    greetingWithoutName: "Hej!",
    intro: "Din order {order} från {brand} har lämnat vårt lager och är på väg till dig.",
    introWithoutBrand: "Din order {order} har lämnat vårt lager och är på väg till dig.",
    shippedWith: "Transportör: {transporter}",
    contentsHeading: "Det här skickades",
    itemColumn: "Artikel",
    articleNumberColumn: "Artikelnr",
    quantityColumn: "Antal",
    trackingHeading: "Spåra din leverans",
    trackShipment: "Spåra försändelse {waybill}",
    trackShipmentWithoutWaybill: "Spåra försändelsen",
    waybill: "Fraktsedel {waybill}",
    parcelsHeading: "Kollin",
    parcel: "Kolli {parcel}",
    trackParcel: "Spåra",
    addressHeading: "Leveransadress",
    footer: "Det här meddelandet skickades automatiskt när din order lämnade lagret.",
  },
  en: {
    subject: "{brand}: your order {order} has shipped",
    subjectWithoutBrand: "Your order {order} has shipped",
    heading: "Your order has shipped",
    greeting: "Hello {name},",
    greetingWithoutName: "Hello,",
    intro: "Your order {order} from {brand} has left our warehouse and is on its way to you.",
    introWithoutBrand: "Your order {order} has left our warehouse and is on its way to you.",
    shippedWith: "Carrier: {transporter}",
    contentsHeading: "What we shipped",
    itemColumn: "Item",
    articleNumberColumn: "Item no.",
    quantityColumn: "Quantity",
    trackingHeading: "Track your delivery",
    trackShipment: "Track shipment {waybill}",
    trackShipmentWithoutWaybill: "Track the shipment",
    waybill: "Waybill {waybill}",
    parcelsHeading: "Parcels",
    parcel: "Parcel {parcel}",
    trackParcel: "Track",
    addressHeading: "Delivery address",
    footer: "This message was sent automatically when your order left the warehouse.",
  },
} as const satisfies Record<Language, Record<string, string>>;

export type CopyKey = keyof (typeof copy)["en"];

export const htmlTemplate = `<!DOCTYPE html>
<html lang="{{language}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{subject}}</title>
</head>
<body style="margin:0;padding:0;background:#f4f4f4;font-family:Arial,Helvetica,sans-serif;color:#222;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f4f4;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;width:100%;background:#fff;">
<tr><td style="padding:24px;">
{{#if brandName}}<p style="margin:0 0 8px;font-size:14px;color:#666;">{{brandName}}</p>{{/if}}
<h1 style="margin:0 0 16px;font-size:22px;">{{t "heading"}}</h1>
<p style="margin:0 0 8px;">{{#if consigneeName}}{{t "greeting" name=consigneeName}}{{else}}{{t "greetingWithoutName"}}{{/if}}</p>
<p style="margin:0 0 16px;">{{#if brandName}}{{t "intro" order=orderNumber brand=brandName}}{{else}}{{t "introWithoutBrand" order=orderNumber}}{{/if}}</p>
{{#if transporter}}<p style="margin:0 0 16px;">{{t "shippedWith" transporter=transporter}}</p>{{/if}}

{{#if lines.length}}
<h2 style="margin:24px 0 8px;font-size:17px;">{{t "contentsHeading"}}</h2>
<table role="presentation" width="100%" cellpadding="6" cellspacing="0" style="border-collapse:collapse;font-size:14px;">
<tr style="background:#f0f0f0;text-align:left;"><th>{{t "itemColumn"}}</th><th>{{t "articleNumberColumn"}}</th><th style="text-align:right;">{{t "quantityColumn"}}</th></tr>
{{#each lines}}
<tr style="border-top:1px solid #e5e5e5;"><td>{{name}}</td><td>{{articleNumber}}</td><td style="text-align:right;">{{quantity}}</td></tr>
{{/each}}
</table>
{{/if}}

{{#if tracking.length}}
<h2 style="margin:24px 0 8px;font-size:17px;">{{t "trackingHeading"}}</h2>
<ul style="margin:0;padding-left:20px;">
{{#each tracking}}
<li>{{#if url}}<a href="{{url}}">{{#if waybill}}{{t "trackShipment" waybill=waybill}}{{else}}{{t "trackShipmentWithoutWaybill"}}{{/if}}</a>{{else}}{{t "waybill" waybill=waybill}}{{/if}}</li>
{{/each}}
</ul>
{{/if}}

{{#if parcels.length}}
<h2 style="margin:24px 0 8px;font-size:17px;">{{t "parcelsHeading"}}</h2>
<ul style="margin:0;padding-left:20px;">
{{#each parcels}}
<li>{{t "parcel" parcel=parcelNumber}}{{#if url}} – <a href="{{url}}">{{t "trackParcel"}}</a>{{/if}}</li>
{{/each}}
</ul>
{{/if}}

{{#if address.length}}
<h2 style="margin:24px 0 8px;font-size:17px;">{{t "addressHeading"}}</h2>
<p style="margin:0;">{{#each address}}{{this}}<br>{{/each}}</p>
{{/if}}

<p style="margin:32px 0 0;font-size:12px;color:#888;">{{t "footer"}}</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;

export const textTemplate = `{{t "heading"}}

{{#if consigneeName}}{{t "greeting" name=consigneeName}}{{else}}{{t "greetingWithoutName"}}{{/if}}

{{#if brandName}}{{t "intro" order=orderNumber brand=brandName}}{{else}}{{t "introWithoutBrand" order=orderNumber}}{{/if}}
{{#if transporter}}
{{t "shippedWith" transporter=transporter}}
{{/if}}
{{#if lines.length}}

{{t "contentsHeading"}}:
{{#each lines}}
- {{quantity}} × {{name}} ({{articleNumber}})
{{/each}}
{{/if}}
{{#if tracking.length}}

{{t "trackingHeading"}}:
{{#each tracking}}
- {{#if waybill}}{{t "waybill" waybill=waybill}}{{else}}{{t "trackShipmentWithoutWaybill"}}{{/if}}{{#if url}}: {{url}}{{/if}}
{{/each}}
{{/if}}
{{#if parcels.length}}

{{t "parcelsHeading"}}:
{{#each parcels}}
- {{t "parcel" parcel=parcelNumber}}{{#if url}}: {{url}}{{/if}}
{{/each}}
{{/if}}
{{#if address.length}}

{{t "addressHeading"}}:
{{#each address}}
{{this}}
{{/each}}
{{/if}}

{{t "footer"}}
`;
