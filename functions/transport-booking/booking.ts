/**
 * Book transport for a shipped order, exactly once, and write the booking back to Ongoing.
 *
 * The workflow record (`transport-booking`, key `goodsOwnerId#orderId`) moves booking → booked → written-back,
 * each move a conditional write. The adapter's answer is recorded the moment it arrives, its labels and other
 * documents stored in S3 first and only their keys in the record (any size fits); should a worker die before
 * that, the retry books again with the same idempotency key and gets the same booking back. Whoever works on a
 * record holds a lease until its invocation's deadline, so two deliveries never work at once.
 *
 * Every delivery reads the order (its tracking and parcels) and, before attaching documents, its files: a write
 * whose answer was lost (it may have taken effect) is never repeated blindly, only what is missing is written.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { PermanentError, TransientError } from "../shared/errors.ts";
import { OngoingWriteUnknownError } from "../shared/ongoing/client.ts";
import type { OngoingOrder } from "../shared/ongoing/model.ts";
import type { HandlerContext, Outcome, WebhookRecord } from "../shared/pipeline/types.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";
import { logger as sharedLogger } from "../shared/powertools/logger.ts";
import { metrics } from "../shared/powertools/metrics.ts";
import type { TransporterMatch } from "../shared/settings.ts";
import type { Workflow, WorkflowStore } from "../shared/state/workflow.ts";
import type { OrderWebhook } from "../shared/webhooks/schemas.ts";
import { decideBooking, type SkipReason } from "./decide.ts";
import { bookingDocumentKey } from "./document-keys.ts";
import type { DocumentStore, StoredDocument } from "./documents.ts";
import type { OngoingOrders } from "./ongoing-orders.ts";
import {
  type Booking,
  bookingDocuments,
  type Label,
  shipmentFromOrder,
  type TransportSystem,
} from "./transport-system.ts";

export const workflowKind = "transport-booking";

/** How long a delivery waits when another one is working on the same order. */
export const inProgressRetryAfterMs = 2_000;

/** Time kept back from the invocation when deciding whether a settle-and-re-read still fits. */
const settleReserveMs = 5_000;

export type BookingStep = "booking" | "booked" | "written-back";

/** What has been written back to Ongoing, step by step, so a retry repeats only what is missing. */
export type WriteBackProgress = {
  waybill?: boolean;
  tracking?: boolean;
  /** Parcel numbers written so far. */
  parcels?: string[];
  /** The API has no call to add parcel numbers; they were counted as not written. */
  parcelsNotWritable?: boolean;
  /** File names of the documents attached so far. */
  files?: string[];
  /** Every document (labels included) is attached. */
  label?: boolean;
  /** Transporter order number, freight weight and price, return waybill: set (or not settable) in Ongoing. */
  fields?: boolean;
  /**
   * The order's print job: `sending` is recorded before it is asked for, so a worker that finds `sending` knows
   * an earlier one may have printed (`uncertain`, never asked again); `failed` surely printed nothing.
   */
  print?: "sending" | "done" | "failed" | "uncertain" | "nothing-to-print";
};

/** The adapter's answer as recorded: its documents' content is in the document store, only their keys here. */
export type RecordedBooking = {
  waybill: string;
  trackingUrl?: string | null | undefined;
  parcels: { parcelNumber: string }[];
  documents?: StoredDocument[];
  /** A label recorded inline by an earlier version (dropped once written). */
  label?: Label | null | undefined;
  transporterOrderNumber?: string | undefined;
  freightWeightKg?: number | undefined;
  freightPrice?: number | undefined;
  returnWaybill?: string | undefined;
};

export type BookingWorkflowData = {
  /** Epoch ms until which the worker that claimed the record may still be at work on it; 0 when released. */
  leaseUntil: number;
  booking?: RecordedBooking;
  bookedAt?: number;
  written?: WriteBackProgress;
};

export interface TransportBookingDependencies {
  readonly workflows: WorkflowStore<BookingWorkflowData>;
  /** Where labels and other booking documents are kept until written back. */
  readonly documents: DocumentStore;
  /** The transport system to book the goods owner's orders with; throws PermanentError when none is configured. */
  readonly transportSystem: (goodsOwnerId: number) => TransportSystem;
  readonly ongoingOrdersFor: (goodsOwnerId: number, remainingTimeMs: () => number) => OngoingOrders;
  readonly transportersFor: (goodsOwnerId: number) => readonly TransporterMatch[];
  /**
   * The goods owner's print job for an order's uploaded labels (`CreatePrintJob`), or undefined when the goods
   * owner does not print. Throws OngoingWriteUnknownError when the job may have been made.
   */
  readonly printerFor?: (
    goodsOwnerId: number,
    remainingTimeMs: () => number,
  ) => ((orderId: number) => Promise<void>) | undefined;
  /** Days after the booking that Ongoing may delete the attached labels (`FileWillBeDeletedAt`). @default 30 */
  readonly fileRetentionDays?: number;
  /**
   * How long a write whose answer was lost is given to land before the order is read to see whether it did
   * (Ongoing may still be carrying it out when our time-out fired). @default 2000
   */
  readonly writeSettleMs?: number;
  readonly now?: () => number;
  /**
   * Called once the booking is recorded (`booked`) and before anything is written back: the one moment where a
   * worker that dies leaves a booking only the record knows of. Tests throw here to crash a real worker;
   * the deployed function leaves it unset.
   */
  readonly afterBooked?: () => void;
  /** Called once the print job was asked for, before its answer is recorded: a test's crash point. */
  readonly afterPrintJob?: () => void;
}

export const workflowKey = (goodsOwnerId: number, orderId: number): string => `${goodsOwnerId}#${orderId}`;

function countSkip(reason: SkipReason): Outcome {
  dimensionedMetrics.add({ reason }, "TransportSkipped", MetricUnit.Count, 1);
  return { status: "skipped", reason };
}

/** Parcel numbers the chosen Ongoing API cannot take (the Automation API has no call to add one). */
function countParcelsNotWritten(count: number): void {
  dimensionedMetrics.add(
    { reason: "ongoing-api-has-no-parcel-call" },
    "ParcelsNotWritten",
    MetricUnit.Count,
    count,
  );
}

const hasTracking = (order: OngoingOrder, waybill: string, trackingUrl: string) =>
  (order.tracking ?? []).some(
    (tracking) => tracking.waybill === waybill && tracking.trackingUrl === trackingUrl,
  );

const returnWaybillOf = (order: OngoingOrder) =>
  (order.orderInfo as { returnWayBill?: string | null }).returnWayBill ?? undefined;

const hasParcel = (order: OngoingOrder, parcelNumber: string) =>
  (order.parcels ?? []).some((parcel) => parcel.parcelNumber === parcelNumber);

export function createTransportBooking(
  dependencies: TransportBookingDependencies,
): (record: WebhookRecord<OrderWebhook>, context: HandlerContext) => Promise<Outcome> {
  const { workflows } = dependencies;
  const now = dependencies.now ?? Date.now;
  const writeSettleMs = dependencies.writeSettleMs ?? 2_000;
  const fileRetentionMs = (dependencies.fileRetentionDays ?? 30) * 24 * 3600 * 1000;

  /** Takes over a record whose previous worker has finished or died; another live worker means try later. */
  async function claim(
    workflow: Workflow<BookingWorkflowData>,
    context: HandlerContext,
  ): Promise<Workflow<BookingWorkflowData>> {
    const at = now();
    if (workflow.data.leaseUntil > at) {
      // Not the whole lease: it runs to the other worker's deadline, but that worker is usually done in seconds.
      throw new TransientError(
        "booking-in-progress",
        `order ${workflow.key} is being worked on by another worker`,
        {
          retryAfterMs: inProgressRetryAfterMs,
        },
      );
    }
    return workflows.advance(workflow, workflow.step, { leaseUntil: at + context.remainingTimeMs() });
  }

  /** Lets the next attempt start at once; if this fails, the lease simply runs out. */
  async function release(workflow: Workflow<BookingWorkflowData>, context: HandlerContext): Promise<void> {
    try {
      await workflows.advance(workflow, workflow.step, { leaseUntil: 0 });
    } catch (error) {
      (context.logger ?? sharedLogger).warn("lease not released; it will expire", { error: String(error) });
    }
  }

  async function book(
    workflow: Workflow<BookingWorkflowData>,
    order: OngoingOrder,
    context: HandlerContext,
    earlierAttempt: boolean,
  ): Promise<Workflow<BookingWorkflowData>> {
    let booking: Booking;
    try {
      booking = await dependencies
        .transportSystem(order.goodsOwner.id)
        .book(shipmentFromOrder(order), { remainingTimeMs: () => context.remainingTimeMs(), earlierAttempt });
    } catch (error) {
      metrics.addMetric("TransportFailed", MetricUnit.Count, 1);
      await release(workflow, context);
      throw error;
    }
    let recorded: RecordedBooking;
    try {
      recorded = await recordable(booking, order);
    } catch (error) {
      await release(workflow, context);
      throw error;
    }
    const booked = await workflows.advance(workflow, "booked", {
      booking: recorded,
      bookedAt: now(),
      written: {},
    });
    metrics.addMetric("TransportBooked", MetricUnit.Count, 1);
    (context.logger ?? sharedLogger).info("transport booked", {
      waybill: booking.waybill,
      parcels: booking.parcels.length,
      documents: recorded.documents?.length ?? 0,
      documentBytes: (recorded.documents ?? []).reduce((sum, document) => sum + document.bytes, 0),
    });
    return booked;
  }

  /** The booking as the record keeps it: its documents stored first (a retry overwrites the same keys). */
  async function recordable(booking: Booking, order: OngoingOrder): Promise<RecordedBooking> {
    const goodsOwnerId = order.goodsOwner.id;
    const orderId = order.orderInfo.orderId;
    const documents: StoredDocument[] = [];
    for (const [index, document] of bookingDocuments(booking).entries()) {
      const key = bookingDocumentKey(goodsOwnerId, orderId, index, document.fileName);
      documents.push(await dependencies.documents.put(key, document));
    }
    return {
      waybill: booking.waybill,
      trackingUrl: booking.trackingUrl,
      parcels: booking.parcels.map(({ parcelNumber }) => ({ parcelNumber })),
      documents,
      transporterOrderNumber: booking.transporterOrderNumber ?? undefined,
      freightWeightKg: booking.freightWeightKg ?? undefined,
      freightPrice: booking.freightPrice ?? undefined,
      returnWaybill: booking.returnWaybill ?? undefined,
    };
  }

  async function writeBack(
    start: Workflow<BookingWorkflowData>,
    order: OngoingOrder,
    orders: OngoingOrders,
    context: HandlerContext,
  ): Promise<{ workflow: Workflow<BookingWorkflowData>; printUncertain: boolean }> {
    let workflow = start;
    const booking = workflow.data.booking;
    if (!booking)
      throw new PermanentError("workflow-corrupt", `booked order ${workflow.key} has no booking recorded`);
    const orderId = order.orderInfo.orderId;
    let written: WriteBackProgress = workflow.data.written ?? {};
    let printUncertain = false;
    const progress = async (patch: WriteBackProgress, data: Partial<BookingWorkflowData> = {}) => {
      written = { ...written, ...patch };
      workflow = await workflows.advance(workflow, "booked", { ...data, written });
    };
    /**
     * Makes a write that adds a row; when its answer was lost, waits for it to land and reads Ongoing again: there
     * now, it counts as done; not there, the error stands and the redelivery writes it after reading once more.
     * Never written twice in one invocation.
     */
    const writeOnce = async (write: () => Promise<void>, landed: () => Promise<boolean>) => {
      try {
        await write();
      } catch (error) {
        if (!(error instanceof OngoingWriteUnknownError)) throw error;
        if (context.remainingTimeMs() < writeSettleMs + settleReserveMs) throw error;
        await new Promise((resolve) => setTimeout(resolve, writeSettleMs));
        if (!(await landed().catch(() => false))) throw error;
        metrics.addMetric("WriteBackConfirmedByReRead", MetricUnit.Count, 1);
      }
    };
    const reRead = () => orders.getOrder(orderId);
    try {
      // Each step looks at the order first, so one repeated after a crash does not write twice.
      if (!written.waybill) {
        if (order.orderInfo.wayBill !== booking.waybill) await orders.writeWaybill(orderId, booking.waybill);
        await progress({ waybill: true });
      }
      if (!written.tracking) {
        const { trackingUrl } = booking;
        if (trackingUrl && !hasTracking(order, booking.waybill, trackingUrl)) {
          await writeOnce(
            () => orders.writeTracking(orderId, { waybill: booking.waybill, trackingUrl }),
            async () => hasTracking(await reRead(), booking.waybill, trackingUrl),
          );
        }
        await progress({ tracking: true });
      }
      if (!written.fields) {
        const fields = {
          transporterOrderNumber: booking.transporterOrderNumber,
          freightWeightKg: booking.freightWeightKg,
          freightPrice: booking.freightPrice,
          returnWaybill:
            booking.returnWaybill !== undefined && returnWaybillOf(order) !== booking.returnWaybill
              ? booking.returnWaybill
              : undefined,
        };
        // Each sets a value: repeated after a lost answer, it changes nothing.
        const notWritable = await orders.writeOrderFields(orderId, fields);
        for (const field of notWritable) {
          dimensionedMetrics.add(
            { field, reason: "ongoing-api-has-no-call" },
            "FieldsNotWritten",
            MetricUnit.Count,
            1,
          );
        }
        await progress({ fields: true });
      }
      const { writeParcel } = orders;
      if (writeParcel) {
        for (const { parcelNumber } of booking.parcels) {
          if (written.parcels?.includes(parcelNumber)) continue;
          if (!hasParcel(order, parcelNumber)) {
            await writeOnce(
              () => writeParcel(orderId, parcelNumber),
              async () => hasParcel(await reRead(), parcelNumber),
            );
          }
          await progress({ parcels: [...(written.parcels ?? []), parcelNumber] });
        }
      } else if (!written.parcelsNotWritable) {
        const missing = booking.parcels.filter(({ parcelNumber }) => !hasParcel(order, parcelNumber)).length;
        if (missing > 0) countParcelsNotWritten(missing);
        await progress({ parcelsNotWritable: true });
      }
      if (!written.label) {
        const documents = [
          ...(booking.label ? [{ ...booking.label, inline: true as const }] : []),
          ...(booking.documents ?? []),
        ];
        const missing = documents.filter((document) => !written.files?.includes(document.fileName));
        // From the booking, not from now: a retry asks for the same expiry.
        const willBeDeletedAt = new Date((workflow.data.bookedAt ?? now()) + fileRetentionMs);
        // What is attached already, read before attaching anything: an upload whose answer was lost may be there.
        const attached =
          missing.length === 0
            ? new Set<string>()
            : new Set((await orders.getFiles(orderId)).map((file) => file.fileName));
        for (const document of missing) {
          if (!attached.has(document.fileName)) {
            const base64 =
              "inline" in document ? document.base64 : await dependencies.documents.read(document);
            const { fileName, mimeType } = document;
            await writeOnce(
              () => orders.writeFile(orderId, { fileName, mimeType, base64, willBeDeletedAt }),
              async () => (await orders.getFiles(orderId)).some((file) => file.fileName === fileName),
            );
          }
          await progress({ files: [...(written.files ?? []), document.fileName] });
        }
        await progress({ label: true }, booking.label ? { booking: { ...booking, label: undefined } } : {});
      }
      const print = dependencies.printerFor?.(order.goodsOwner.id, context.remainingTimeMs);
      if (
        print &&
        (written.print === undefined || written.print === "sending" || written.print === "failed")
      ) {
        if (written.print === "sending") {
          // The worker before asked for the print job and stopped before its answer: it may have printed.
          printUncertain = true;
        } else if ((booking.documents?.length ?? 0) === 0 && !booking.label) {
          await progress({ print: "nothing-to-print" });
        } else {
          await progress({ print: "sending" });
          try {
            await print(orderId);
          } catch (error) {
            if (!(error instanceof OngoingWriteUnknownError)) {
              await progress({ print: "failed" });
              throw error;
            }
            printUncertain = true;
          }
          if (!printUncertain) {
            dependencies.afterPrintJob?.();
            metrics.addMetric("PrintJobsCreated", MetricUnit.Count, 1);
            await progress({ print: "done" });
          }
        }
        if (printUncertain) {
          metrics.addMetric("PrintJobsUncertain", MetricUnit.Count, 1);
          await progress({ print: "uncertain" });
        }
      }
    } catch (error) {
      metrics.addMetric("WriteBackFailed", MetricUnit.Count, 1);
      await release(workflow, context);
      throw error;
    }
    return {
      workflow: await workflows.advance(workflow, "written-back", { leaseUntil: 0 }),
      printUncertain,
    };
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
        const started = await workflows.start(key, "booking", {
          leaseUntil: now() + context.remainingTimeMs(),
        });
        workflow = started.workflow;
        owned = started.created;
        if (workflow.step === "written-back") return countSkip("already-booked");
      }
    }
    if (!owned) workflow = await claim(workflow, context);
    if (workflow.step === "booking") {
      // A record this delivery has just created has seen no attempt; any other may have.
      workflow = await book(workflow, order, context, !owned);
      dependencies.afterBooked?.();
    }
    const { workflow: done, printUncertain } = await writeBack(workflow, order, orders, context);
    const booking = done.data.booking;
    if (printUncertain) {
      // Written back; only the print is in doubt, and it is never asked for twice: a person looks.
      throw new PermanentError(
        "print-uncertain",
        `order ${key}: the print job was asked for but its answer was lost; check the printer and reprint ` +
          "the labels from Ongoing if they did not come out (not sent again: it could print twice)",
      );
    }
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
