/** What the use-cases act with: SES for the shipped-order e-mail, the transport adapters for bookings. */
import * as z from "zod";
import { nshiftDefaultBaseUrl } from "../../functions/shared/contract/settings.ts";
import { emailBranding, secretName, transportAdapter, transporterMatch } from "./parts.ts";

export const emailConfig = z.strictObject({
  /** The verified SES identity (domain or address) mail is sent from; `ses:SendEmail` is granted on it only. */
  senderIdentity: z.string().min(3, "an SES identity: a domain (example.com) or an e-mail address"),
  /**
   * Default sender and branding; a goods owner's own `email` is merged over it field by field.
   * @default none: then a goods owner without its own `email.fromAddress` is dead-lettered (`no-email-branding`)
   */
  default: emailBranding.optional(),
  /** Existing SES configuration set to use. @default one is created by the stack */
  configurationSetName: z.string().min(1).optional(),
  /**
   * Mails per second this stack sends at most: the account's SES sending rate (`aws sesv2 get-account`,
   * `SendQuota.MaxSendRate`), or the share of it left to this stack. The mail function paces itself to it
   * instead of being throttled. @default 14 (SES's usual starting rate outside the sandbox)
   */
  maxSendRate: z.number().positive().max(100_000).default(14),
  /**
   * How long a mail whose SES outcome is unknown (SES timed out or answered 500) waits, after its attempt has
   * certainly ended, for SES's Send event before it is sent again; see docs/outages.md. @default 900 (15 minutes)
   */
  sesEvidenceGraceSeconds: z.number().int().min(60).max(86_400).default(900),
});

export const transportConfig = z
  .strictObject({
    /**
     * Transporters booked by default (see goodsOwners for per-goods-owner lists); `[]` books nothing.
     * @default none: then a goods owner without its own list is dead-lettered (`no-transporters-configured`)
     */
    transporters: z.array(transporterMatch).optional(),
    /** The adapter that books (per goods owner: goodsOwners.N.transportAdapter). @default "http" */
    adapter: transportAdapter.default("http"),
    /** The built-in nShift Delivery adapter (docs/use-case-transport-booking.md). Required when "nshift" is chosen anywhere. */
    nshift: z
      .strictObject({
        /** nShift's REST API root, https only. @default "https://api.unifaun.com/rs-extapi/v1" */
        baseUrl: z
          .url({ protocol: /^https$/, error: "an https URL, e.g. https://api.unifaun.com/rs-extapi/v1" })
          .default(nshiftDefaultBaseUrl),
        /** Secret holding the API key as JSON `{"id","secret"}` (its id and secret id). */
        credentialsSecretName: secretName,
        /** Quick id of the sender saved in the nShift account (the warehouse). */
        senderQuickId: z.string().min(1).max(64),
        /** Time-out of one request to nShift. @default 15000 */
        timeoutMs: z.number().int().min(500).max(60_000).default(15_000),
      })
      .optional(),
    /** The transport system's HTTP adapter endpoint (docs/use-case-transport-booking.md: the contract). @default none */
    adapterUrl: z
      .url({
        protocol: /^https$/,
        error: "an https URL: bookings carry consignee addresses and the adapter's secret",
      })
      .optional(),
    /** Secret holding the adapter's auth header value. @default none (no auth header) */
    adapterAuthSecretName: secretName.optional(),
    /** Header the adapter's secret is sent in. @default "Authorization" */
    adapterAuthHeaderName: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .default("Authorization"),
    /** Time-out of one booking request. @default 15000 */
    adapterTimeoutMs: z.number().int().min(500).max(60_000).default(15_000),
    /**
     * Days labels and other booking documents are kept in the documents bucket before they expire (Ongoing
     * advises letting label files go after about 30 days); a booking not written back by then needs a hand.
     * @default 30
     */
    documentRetentionDays: z.number().int().min(1).max(3650).default(30),
  })
  .default({
    adapter: "http",
    adapterAuthHeaderName: "Authorization",
    adapterTimeoutMs: 15_000,
    documentRetentionDays: 30,
  });
