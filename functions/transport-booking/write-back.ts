/**
 * Writes a recorded booking back to Ongoing, step by step, each step recorded as it is done (`written`), so a
 * retry repeats only what is missing. Every step looks at the order first, so one repeated after a crash does
 * not write twice; a write that adds a row and whose answer was lost is confirmed by reading Ongoing again,
 * never repeated blindly in one invocation. The print job is asked for at most once: a lost answer makes it
 * uncertain, for a person to check.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { PermanentError } from "../shared/errors.ts";
import { OngoingWriteUnknownError } from "../shared/ongoing/call.ts";
import type { OngoingOrder } from "../shared/ongoing/model.ts";
import type { HandlerContext } from "../shared/pipeline/types.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";
import { metrics } from "../shared/powertools/metrics.ts";
import type {
  BookingWorkflow,
  BookingWorkflowData,
  RecordedBooking,
  TransportBookingDependencies,
  WriteBackProgress,
} from "./booking-record.ts";
import type { OngoingOrders } from "./ongoing-orders.ts";

/** Time kept back from the invocation when deciding whether a settle-and-re-read still fits. */
const settleReserveMs = 5_000;

const hasTracking = (order: OngoingOrder, waybill: string, trackingUrl: string) =>
  (order.tracking ?? []).some(
    (tracking) => tracking.waybill === waybill && tracking.trackingUrl === trackingUrl,
  );

const returnWaybillOf = (order: OngoingOrder) =>
  (order.orderInfo as { returnWayBill?: string | null }).returnWayBill ?? undefined;

const hasParcel = (order: OngoingOrder, parcelNumber: string) =>
  (order.parcels ?? []).some((parcel) => parcel.parcelNumber === parcelNumber);

const count = (metric: string) => metrics.addMetric(metric, MetricUnit.Count, 1);

/** One delivery's write-back of one booked order. */
export class WriteBack {
  #workflow: BookingWorkflow;
  #written: WriteBackProgress;
  readonly #booking: RecordedBooking;
  readonly #orderId: number;
  readonly order: OngoingOrder;
  readonly orders: OngoingOrders;
  readonly context: HandlerContext;
  readonly dependencies: TransportBookingDependencies;

  constructor(
    workflow: BookingWorkflow,
    order: OngoingOrder,
    orders: OngoingOrders,
    context: HandlerContext,
    dependencies: TransportBookingDependencies,
  ) {
    const booking = workflow.data.booking;
    if (!booking)
      throw new PermanentError("workflow-corrupt", `booked order ${workflow.key} has no booking recorded`);
    this.#workflow = workflow;
    this.#booking = booking;
    this.#written = workflow.data.written ?? {};
    this.#orderId = order.orderInfo.orderId;
    this.order = order;
    this.orders = orders;
    this.context = context;
    this.dependencies = dependencies;
  }

  /** The record as last moved. */
  get workflow(): BookingWorkflow {
    return this.#workflow;
  }

  /** Every step in order; true when all is written but the print job's outcome is uncertain. */
  async run(): Promise<boolean> {
    await this.#waybill();
    await this.#tracking();
    await this.#fields();
    await this.#parcels();
    await this.#documents();
    return this.#print();
  }

  async #progress(patch: WriteBackProgress, data: Partial<BookingWorkflowData> = {}): Promise<void> {
    this.#written = { ...this.#written, ...patch };
    this.#workflow = await this.dependencies.workflows.advance(this.#workflow, "booked", {
      ...data,
      written: this.#written,
    });
  }

  /**
   * Makes a write that adds a row; when its answer was lost, waits for it to land and reads Ongoing again: there
   * now, it counts as done; not there, the error stands and the redelivery writes it after reading once more.
   */
  async #writeOnce(write: () => Promise<void>, landed: () => Promise<boolean>): Promise<void> {
    const writeSettleMs = this.dependencies.writeSettleMs ?? 2_000;
    try {
      await write();
    } catch (error) {
      if (!(error instanceof OngoingWriteUnknownError)) throw error;
      if (this.context.remainingTimeMs() < writeSettleMs + settleReserveMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, writeSettleMs));
      if (!(await landed().catch(() => false))) throw error;
      count("WriteBackConfirmedByReRead");
    }
  }

  #reRead(): Promise<OngoingOrder> {
    return this.orders.getOrder(this.#orderId);
  }

  async #waybill(): Promise<void> {
    if (this.#written.waybill) return;
    const { waybill } = this.#booking;
    if (this.order.orderInfo.wayBill !== waybill) await this.orders.writeWaybill(this.#orderId, waybill);
    await this.#progress({ waybill: true });
  }

  async #tracking(): Promise<void> {
    if (this.#written.tracking) return;
    const { waybill, trackingUrl } = this.#booking;
    if (trackingUrl && !hasTracking(this.order, waybill, trackingUrl)) {
      await this.#writeOnce(
        () => this.orders.writeTracking(this.#orderId, { waybill, trackingUrl }),
        async () => hasTracking(await this.#reRead(), waybill, trackingUrl),
      );
    }
    await this.#progress({ tracking: true });
  }

  async #fields(): Promise<void> {
    if (this.#written.fields) return;
    const booking = this.#booking;
    const fields = {
      transporterOrderNumber: booking.transporterOrderNumber,
      freightWeightKg: booking.freightWeightKg,
      freightPrice: booking.freightPrice,
      returnWaybill:
        booking.returnWaybill !== undefined && returnWaybillOf(this.order) !== booking.returnWaybill
          ? booking.returnWaybill
          : undefined,
    };
    // Each sets a value: repeated after a lost answer, it changes nothing.
    const notWritable = await this.orders.writeOrderFields(this.#orderId, fields);
    for (const field of notWritable) {
      dimensionedMetrics.add(
        { field, reason: "ongoing-api-has-no-call" },
        "FieldsNotWritten",
        MetricUnit.Count,
        1,
      );
    }
    await this.#progress({ fields: true });
  }

  async #parcels(): Promise<void> {
    const { writeParcel } = this.orders;
    const { parcels } = this.#booking;
    if (!writeParcel) {
      if (this.#written.parcelsNotWritable) return;
      const missing = parcels.filter(({ parcelNumber }) => !hasParcel(this.order, parcelNumber)).length;
      // Parcel numbers the chosen Ongoing API cannot take (the Automation API has no call to add one).
      if (missing > 0) {
        const reason = { reason: "ongoing-api-has-no-parcel-call" };
        dimensionedMetrics.add(reason, "ParcelsNotWritten", MetricUnit.Count, missing);
      }
      await this.#progress({ parcelsNotWritable: true });
      return;
    }
    for (const { parcelNumber } of parcels) {
      if (this.#written.parcels?.includes(parcelNumber)) continue;
      if (!hasParcel(this.order, parcelNumber)) {
        await this.#writeOnce(
          () => writeParcel(this.#orderId, parcelNumber),
          async () => hasParcel(await this.#reRead(), parcelNumber),
        );
      }
      await this.#progress({ parcels: [...(this.#written.parcels ?? []), parcelNumber] });
    }
  }

  async #documents(): Promise<void> {
    if (this.#written.label) return;
    const booking = this.#booking;
    const documents = [
      ...(booking.label ? [{ ...booking.label, inline: true as const }] : []),
      ...(booking.documents ?? []),
    ];
    const missing = documents.filter((document) => !this.#written.files?.includes(document.fileName));
    // From the booking, not from now: a retry asks for the same expiry.
    const retentionMs = (this.dependencies.fileRetentionDays ?? 30) * 24 * 3600 * 1000;
    const bookedAt = this.#workflow.data.bookedAt ?? (this.dependencies.now ?? Date.now)();
    const willBeDeletedAt = new Date(bookedAt + retentionMs);
    // What is attached already, read before attaching anything: an upload whose answer was lost may be there.
    const attached =
      missing.length === 0
        ? new Set<string>()
        : new Set((await this.orders.getFiles(this.#orderId)).map((file) => file.fileName));
    for (const document of missing) {
      if (!attached.has(document.fileName)) {
        const base64 =
          "inline" in document ? document.base64 : await this.dependencies.documents.read(document);
        const { fileName, mimeType } = document;
        await this.#writeOnce(
          () => this.orders.writeFile(this.#orderId, { fileName, mimeType, base64, willBeDeletedAt }),
          async () => (await this.orders.getFiles(this.#orderId)).some((file) => file.fileName === fileName),
        );
      }
      await this.#progress({ files: [...(this.#written.files ?? []), document.fileName] });
    }
    await this.#progress({ label: true }, booking.label ? { booking: { ...booking, label: undefined } } : {});
  }

  async #print(): Promise<boolean> {
    const print = this.dependencies.printerFor?.(this.order.goodsOwner.id, this.context.remainingTimeMs);
    const state = this.#written.print;
    if (!print || (state !== undefined && state !== "sending" && state !== "failed")) return false;
    // The worker before asked for the print job and stopped before its answer: it may have printed.
    let uncertain = state === "sending";
    if (!uncertain) {
      const booking = this.#booking;
      if ((booking.documents?.length ?? 0) === 0 && !booking.label) {
        await this.#progress({ print: "nothing-to-print" });
        return false;
      }
      await this.#progress({ print: "sending" });
      try {
        await print(this.#orderId);
      } catch (error) {
        if (!(error instanceof OngoingWriteUnknownError)) {
          await this.#progress({ print: "failed" });
          throw error;
        }
        uncertain = true;
      }
      if (!uncertain) {
        this.dependencies.afterPrintJob?.();
        count("PrintJobsCreated");
        await this.#progress({ print: "done" });
        return false;
      }
    }
    count("PrintJobsUncertain");
    await this.#progress({ print: "uncertain" });
    return true;
  }
}
