/**
 * Whether an order is ours to book: pure decisions from the fetched order and the configured transporters,
 * and the count of an order skipped.
 */

import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { TransporterMatch } from "../shared/contract/settings.ts";
import { type OngoingOrder, orderStatusNumbers } from "../shared/ongoing/model.ts";
import type { Outcome } from "../shared/pipeline/types.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";

export type SkipReason = "cancelled" | "transporter-not-configured" | "already-waybilled" | "already-booked";

export type BookingDecision =
  | { readonly action: "book" }
  | { readonly action: "skip"; readonly reason: SkipReason };

const normalized = (code: string | null | undefined): string => (code ?? "").trim().toUpperCase();

/** Codes are compared trimmed and case-insensitively; no `serviceCodes` means any service of the transporter. */
export function matchesTransporter(
  transporter: OngoingOrder["transporter"],
  transporters: readonly TransporterMatch[],
): boolean {
  const code = normalized(transporter?.code);
  if (code === "") return false;
  const serviceCode = normalized(transporter?.serviceCode);
  return transporters.some(
    (match) =>
      normalized(match.code) === code &&
      (match.serviceCodes === undefined ||
        match.serviceCodes.some((service) => normalized(service) === serviceCode)),
  );
}

/**
 * Book, or skip with a reason. Only for an order we have not booked ourselves: an order our workflow
 * booked carries our waybill and is resumed, not decided again.
 */
export function decideBooking(
  order: OngoingOrder,
  transporters: readonly TransporterMatch[],
): BookingDecision {
  if (order.orderInfo.orderStatus?.number === orderStatusNumbers.cancelled) return skip("cancelled");
  if (!matchesTransporter(order.transporter, transporters)) return skip("transporter-not-configured");
  if ((order.orderInfo.wayBill ?? "").trim() !== "") return skip("already-waybilled");
  return { action: "book" };
}

const skip = (reason: SkipReason): BookingDecision => ({ action: "skip", reason });

/** Counts a skip by its reason and says so to the pipeline. */
export function countSkip(reason: SkipReason): Outcome {
  dimensionedMetrics.add({ reason }, "TransportSkipped", MetricUnit.Count, 1);
  return { status: "skipped", reason };
}
