/**
 * Who gets the shipped-mail: the order's own notification address first, then the consignee's, then the
 * invoice address's (Ongoing keeps the customer's e-mail in any of the three). An explicit "do not notify"
 * on the address chosen, or on a place looked at before it (the order's own flag without an address), wins;
 * an address that is not a plain, single e-mail address is never used.
 */
import * as z from "zod";
import type { OngoingOrder } from "../shared/ongoing/model.ts";

export type Recipient =
  | { readonly status: "found"; readonly address: string }
  | { readonly status: "none"; readonly reason: "not-to-be-notified" | "no-address" | "invalid-address" };

// z.email() refuses spaces, CR/LF, commas and angle brackets, so one value can never name a second recipient.
const emailAddress = z.email().max(254);

type Notification = { toBeNotified?: boolean | null; value?: string | null } | null | undefined;

export function recipientOf(order: OngoingOrder): Recipient {
  const candidates: Notification[] = [
    order.orderInfo.emailNotification,
    order.consignee?.advanced?.emailNotification,
    order.consignee?.invoiceAddress?.advanced?.emailNotification,
  ];
  const chosenIndex = candidates.findIndex((candidate) => (candidate?.value ?? "").trim() !== "");
  const consulted = chosenIndex === -1 ? candidates : candidates.slice(0, chosenIndex + 1);
  if (consulted.some((candidate) => candidate?.toBeNotified === false))
    return { status: "none", reason: "not-to-be-notified" };
  const chosen = candidates[chosenIndex];
  if (!chosen?.value) return { status: "none", reason: "no-address" };
  const parsed = emailAddress.safeParse(chosen.value.trim());
  if (!parsed.success) return { status: "none", reason: "invalid-address" };
  return { status: "found", address: parsed.data };
}
