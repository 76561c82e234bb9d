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
import type { HandlerContext, Outcome, WebhookRecord } from "../shared/pipeline/types.ts";
import { metrics } from "../shared/powertools/metrics.ts";
import { recordLogger } from "../shared/powertools/record-logger.ts";
import { bookOrder } from "./book.ts";
import {
  claimBooking,
  finishBooking,
  newBooking,
  releaseBooking,
  type TransportBookingDependencies,
  workflowKey,
} from "./booking-record.ts";
import { countSkip, decideBooking } from "./decide.ts";
import { WriteBack } from "./write-back.ts";
export function createTransportBooking(
  dependencies: TransportBookingDependencies,
): (record: WebhookRecord<OrderWebhook>, context: HandlerContext) => Promise<Outcome> {
  const { workflows } = dependencies;
  const now = dependencies.now ?? Date.now;

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
      workflow = await bookOrder(dependencies, workflow, order, context, !owned);
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
