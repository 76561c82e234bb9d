/** The building blocks several parts of the configuration share: secret names, goods owners' overrides. */
import * as z from "zod";

export const secretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, "a Secrets Manager secret name (letters, digits and /_+=.@-)");

export const goodsOwnerId = z.string().regex(/^\d+$/, 'a goods-owner id (digits), e.g. "159"');

const language = z.enum(["auto", "sv", "en"]);

/** Sender and branding of the shipped-order e-mail, per goods owner or as the default. */
export const emailBranding = z.strictObject({
  /** The From address; must belong to the SES identity. */
  fromAddress: z.email("an e-mail address"),
  /** Reply-To addresses. @default none */
  replyTo: z.array(z.email("an e-mail address")).default([]),
  /** Brand name shown in the subject and greeting. @default the goods owner's name from Ongoing */
  brandName: z.string().min(1).max(100).optional(),
  /** Mail language: `auto` picks Swedish for consignees in SE, else English. @default "auto" */
  language: language.default("auto"),
});

/** A transporter the transport use-case books; no `serviceCodes` means any service of that transporter. */
export const transporterMatch = z.strictObject({
  code: z.string().min(1, "a transporter code, e.g. PLAB"),
  serviceCodes: z.array(z.string().min(1)).optional(),
});

export const ongoingApi = z.enum(["rest", "automation"]);

/** Which transport adapter books: the generic HTTP adapter or the built-in nShift Delivery one. */
export const transportAdapter = z.enum(["http", "nshift"]);

/** Printing of a goods owner's labels in the warehouse, once they are attached to the order (Automation API). */
const printing = z.strictObject({
  /** The report (label layout and printer) to print with; ask the warehouse for its id. */
  reportId: z.number().int().positive(),
  /** The warehouse user the job prints as. @default none (Ongoing's choice) */
  printAsUser: z
    .strictObject({ userName: z.string().min(1).optional(), userId: z.number().int().positive().optional() })
    .optional(),
  /** The computer (and so printer) the job prints at. @default none (Ongoing's choice) */
  printAsComputer: z
    .strictObject({
      computerName: z.string().min(1).optional(),
      computerId: z.number().int().positive().optional(),
    })
    .optional(),
});

export const goodsOwnerSettings = z.strictObject({
  /**
   * Secret with this goods owner's REST API login: `{"username","password"}` (Basic) or `{"clientId","clientSecret"}`
   * (OAuth 2.0 client credentials). @default ongoing.credentialsSecretName
   */
  credentialsSecretName: secretName.optional(),
  /** Which Ongoing API the transport use-case uses for this goods owner. @default ongoing.transportApi */
  transportApi: ongoingApi.optional(),
  /** Mail sender and branding for this goods owner. @default email.default */
  email: emailBranding.partial().optional(),
  /** Transporters booked for this goods owner. @default transport.transporters */
  transporters: z.array(transporterMatch).optional(),
  /** The transport adapter that books this goods owner's orders. @default transport.adapter */
  transportAdapter: transportAdapter.optional(),
  /** One print job per booked order after its labels are attached. @default none: nothing is printed */
  printing: printing.optional(),
});
