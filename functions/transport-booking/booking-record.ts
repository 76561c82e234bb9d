/**
 * The transport-booking workflow record (`transport-booking`, key `goodsOwnerId#orderId`): what it holds as it
 * moves booking → booked → written-back, the dependencies the story is given, and the lease a worker holds on
 * the record (shared/state/lease.ts) so two deliveries never work on one order at once.
 */

import type { TransporterMatch } from "../shared/contract/settings.ts";
import { TransientError } from "../shared/errors.ts";
import { leaseLeftMs, leaseUntil, noLease } from "../shared/state/lease.ts";
import type { Workflow, WorkflowStore } from "../shared/state/workflow.ts";
import { bookingDocumentKey } from "./document-keys.ts";
import type { DocumentStore, StoredDocument } from "./documents.ts";
import type { OngoingOrders } from "./ongoing-orders.ts";
import { type Booking, bookingDocuments, type Label, type TransportSystem } from "./transport-system.ts";
export const workflowKind = "transport-booking";

/** How long a delivery waits when another one is working on the same order. */
export const inProgressRetryAfterMs = 2_000;

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

export type BookingWorkflow = Workflow<BookingWorkflowData>;

/** A new record's data: its creator holds the lease. */
export const newBooking = (now: number, remainingTimeMs: number): BookingWorkflowData => ({
  leaseUntil: leaseUntil(now, remainingTimeMs),
});

/** Takes over a record whose previous worker has finished or died; another live worker means try later. */
export function claimBooking(
  workflows: WorkflowStore<BookingWorkflowData>,
  workflow: BookingWorkflow,
  now: number,
  remainingTimeMs: number,
): Promise<BookingWorkflow> {
  if (leaseLeftMs(workflow.data.leaseUntil, now) > 0) {
    // Not the whole lease: it runs to the other worker's deadline, but that worker is usually done in seconds.
    throw new TransientError(
      "booking-in-progress",
      `order ${workflow.key} is being worked on by another worker`,
      {
        retryAfterMs: inProgressRetryAfterMs,
      },
    );
  }
  return workflows.advance(workflow, workflow.step, { leaseUntil: leaseUntil(now, remainingTimeMs) });
}

/** Lets the next attempt start at once; if this fails, the lease simply runs out. */
export async function releaseBooking(
  workflows: WorkflowStore<BookingWorkflowData>,
  workflow: BookingWorkflow,
  warn: (message: string, detail: { error: string }) => void,
): Promise<void> {
  try {
    await workflows.advance(workflow, workflow.step, { leaseUntil: noLease });
  } catch (error) {
    warn("lease not released; it will expire", { error: String(error) });
  }
}

/** Runs `step`; when it fails, the lease is released (so the next attempt starts at once) and the error stands. */
export async function releasedOnFailure<T>(
  workflows: WorkflowStore<BookingWorkflowData>,
  workflow: BookingWorkflow,
  warn: (message: string, detail: { error: string }) => void,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    await releaseBooking(workflows, workflow, warn);
    throw error;
  }
}

/** The record's last move: written back, the lease given up. */
export const finishBooking = (workflows: WorkflowStore<BookingWorkflowData>, workflow: BookingWorkflow) =>
  workflows.advance(workflow, "written-back", { leaseUntil: noLease });

/** The booking as the record keeps it: its documents stored first (a retry overwrites the same keys). */
export async function recordableBooking(
  documentStore: DocumentStore,
  booking: Booking,
  goodsOwnerId: number,
  orderId: number,
): Promise<RecordedBooking> {
  const documents: StoredDocument[] = [];
  for (const [index, document] of bookingDocuments(booking).entries()) {
    const key = bookingDocumentKey(goodsOwnerId, orderId, index, document.fileName);
    documents.push(await documentStore.put(key, document));
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
