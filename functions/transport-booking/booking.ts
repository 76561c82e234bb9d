/**
 * Book transport for a shipped order, exactly once, and write the booking back to Ongoing.
 *
 * The workflow record (booking-record.ts) moves booking → booked → written-back, each move a conditional write.
 * The adapter's answer is recorded the moment it arrives, its labels and other documents stored in S3 first and
 * only their keys in the record (any size fits); should a worker die before that, the retry books again with the
 * same idempotency key and gets the same booking back. Whoever works on a record holds its lease.
 *
 * Every delivery reads the order (its tracking and parcels) and, before attaching documents, its files: a write
 * whose answer was lost (it may have taken effect) is never repeated blindly (write-back.ts).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { OrderWebhook } from "../shared/contract/webhook-schemas.ts";
import { PermanentError } from "../shared/errors.ts";
import type { OngoingOrder } from "../shared/ongoing/model.ts";
import type { HandlerContext, Outcome, WebhookRecord } from "../shared/pipeline/types.ts";
import { metrics } from "../shared/powertools/metrics.ts";
import { recordLogger } from "../shared/powertools/record-logger.ts";
import {
  type BookingWorkflow,
  claimBooking,
  finishBooking,
  newBooking,
  recordableBooking,
  releaseBooking,
  releasedOnFailure,
  type TransportBookingDependencies,
  workflowKey,
} from "./booking-record.ts";
import { countSkip, decideBooking } from "./decide.ts";
import { shipmentFromOrder } from "./transport-system.ts";
import { WriteBack } from "./write-back.ts";
export function createTransportBooking(
  dependencies: TransportBookingDependencies,
): (record: WebhookRecord<OrderWebhook>, context: HandlerContext) => Promise<Outcome> {
  const { workflows } = dependencies;
  const now = dependencies.now ?? Date.now;

  const releasingOnFailure = <T>(
    workflow: BookingWorkflow,
    context: HandlerContext,
    step: () => Promise<T>,
  ) =>
    releasedOnFailure(
      workflows,
      workflow,
      (message, detail) => recordLogger(context).warn(message, detail),
      step,
    );

  /** Books with the transport system and records the answer (`booked`); `earlierAttempt`: one may have booked. */
  async function book(
    workflow: BookingWorkflow,
    order: OngoingOrder,
    context: HandlerContext,
    earlierAttempt: boolean,
  ) {
    const booking = await releasingOnFailure(workflow, context, async () => {
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
    const recorded = await releasingOnFailure(workflow, context, () =>
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

  return async function handle(record, context) {
    const { goodsOwnerId, orderId } = record.payload;
    const key = workflowKey(goodsOwnerId, orderId);
    let workflow = await workflows.get(key);
    if (workflow?.step === "written-back") return countSkip("already-booked");

    const orders = dependencies.ongoingOrdersFor(goodsOwnerId, context.remainingTimeMs);
    const order = await orders.getOrder(orderId);

    // Until a booking is recorded, the order is decided afresh; once one is, the order carries our waybill.
    let owned = false;
    if (workflow === undefined || workflow.step === "booking") {
      const decision = decideBooking(order, dependencies.transportersFor(goodsOwnerId));
      if (decision.action === "skip") return countSkip(decision.reason);
      if (workflow === undefined) {
        const started = await workflows.start(key, "booking", newBooking(now(), context.remainingTimeMs()));
        workflow = started.workflow;
        owned = started.created;
        if (workflow.step === "written-back") return countSkip("already-booked");
      }
    }
    if (!owned) workflow = await claimBooking(workflows, workflow, now(), context.remainingTimeMs());
    if (workflow.step === "booking") {
      // A record this delivery has just created has seen no attempt; any other may have.
      workflow = await book(workflow, order, context, !owned);
      dependencies.afterBooked?.();
    }
    const writeBack = new WriteBack(workflow, order, orders, context, dependencies);
    const printUncertain = await writeBack.run().catch(async (error: unknown) => {
      metrics.addMetric("WriteBackFailed", MetricUnit.Count, 1);
      await releaseBooking(workflows, writeBack.workflow, (message, detail) =>
        recordLogger(context).warn(message, detail),
      );
      throw error;
    });
    const done = await finishBooking(workflows, writeBack.workflow);
    if (printUncertain) {
      // Written back; only the print is in doubt, and it is never asked for twice: a person looks.
      throw new PermanentError(
        "print-uncertain",
        `order ${key}: the print job was asked for but its answer was lost; check the printer and reprint ` +
          "the labels from Ongoing if they did not come out (not sent again: it could print twice)",
      );
    }
    const booking = done.data.booking;
    return {
      status: "done",
      detail: { waybill: booking?.waybill ?? "", parcels: booking?.parcels.length ?? 0 },
      effect: {
        waybill: booking?.waybill ?? "",
        parcels: String(booking?.parcels.length ?? 0),
        ...(booking?.trackingUrl ? { trackingUrl: booking.trackingUrl } : {}),
      },
    };
  };
}
