/**
 * The booking step: book with the transport system and record its answer (`booked`), its documents stored first.
 * A failure releases the record's lease so the next delivery can go on at once.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { OngoingOrder } from "../shared/ongoing/model.ts";
import type { HandlerContext } from "../shared/pipeline/types.ts";
import { metrics } from "../shared/powertools/metrics.ts";
import { recordLogger } from "../shared/powertools/record-logger.ts";
import {
  type BookingWorkflow,
  recordableBooking,
  releasedOnFailure,
  type TransportBookingDependencies,
} from "./booking-record.ts";
import { shipmentFromOrder } from "./transport-system.ts";

/** Books the order and records the answer; `earlierAttempt`: an attempt before this one may have booked. */
export async function bookOrder(
  dependencies: TransportBookingDependencies,
  workflow: BookingWorkflow,
  order: OngoingOrder,
  context: HandlerContext,
  earlierAttempt: boolean,
): Promise<BookingWorkflow> {
  const { workflows } = dependencies;
  const now = dependencies.now ?? Date.now;
  const releasingOnFailure = <T>(step: () => Promise<T>) =>
    releasedOnFailure(
      workflows,
      workflow,
      (message, detail) => recordLogger(context).warn(message, detail),
      step,
    );
  const booking = await releasingOnFailure(async () => {
    try {
      return await dependencies.transportSystem(order.goodsOwner.id).book(shipmentFromOrder(order), {
        remainingTimeMs: () => context.remainingTimeMs(),
        earlierAttempt,
      });
    } catch (error) {
      metrics.addMetric("TransportFailed", MetricUnit.Count, 1);
      throw error;
    }
  });
  const recorded = await releasingOnFailure(() =>
    recordableBooking(dependencies.documents, booking, order.goodsOwner.id, order.orderInfo.orderId),
  );
  const booked = await workflows.advance(workflow, "booked", {
    booking: recorded,
    bookedAt: now(),
    written: {},
  });
  metrics.addMetric("TransportBooked", MetricUnit.Count, 1);
  recordLogger(context).info("transport booked", {
    waybill: booking.waybill,
    parcels: booking.parcels.length,
    documents: recorded.documents?.length ?? 0,
    documentBytes: (recorded.documents ?? []).reduce((sum, document) => sum + document.bytes, 0),
  });
  return booked;
}
