/**
 * Use-case 2's recovery scenarios (see transport-booking.support.ts): a failed or lost write-back resumed, a
 * worker that crashed after booking, duplicate and concurrent events, the transport system failing or refusing.
 */
import type { SQSBatchResponse } from "aws-lambda";
import { expect, it } from "vitest";
import { bookingSchema } from "../functions/transport-booking/transport-system.ts";
import type { TransportBookingRun, WriteBack } from "./transport-booking.support.ts";

export function recoveryScenarios(t: TransportBookingRun): void {
  resumeScenarios(t);
  workerDeathScenarios(t);
  transportFailureScenarios(t);
}

/** A failed write-back, a lost answer or a crash between booking and writing back, picked up where it stopped. */
function resumeScenarios(t: TransportBookingRun): void {
  it("resumes the write-back after a failure without booking or writing again", async () => {
    const orderId = t.seedOrder();
    const failed = t.harness.metricCount("WriteBackFailed");
    t.ongoing.state.addFault(t.labelFault(orderId));
    await t.harness.send(t.webhook(orderId), "order-shipped");
    await t.harness.run(t.handler);

    expect(await t.harness.deadLetters()).toEqual([]);
    expect(t.harness.metricCount("WriteBackFailed") - failed).toBe(1);
    expect(t.transport.bookingsForOrder(159, orderId)).toMatchObject([{ requests: 1 }]);
    // What was written before the failure is not written again.
    expect(t.stepsTo(orderId)).toEqual(t.expectedSteps(["waybill", "tracking", "parcel", "label"]));
    expect((await t.workflowOf(159, orderId)).workflow?.step).toBe("written-back");
  });

  it("gets the same booking back when the answer to a successful booking was lost", async () => {
    const orderId = t.seedOrder();
    t.transport.injectFault({ status: 502, afterBooking: true }, { reset: true, afterBooking: true });
    await t.harness.send(t.webhook(orderId), "order-shipped");
    await t.harness.run(t.handler);

    expect(await t.harness.deadLetters()).toEqual([]);
    const [record, ...others] = t.transport.bookingsForOrder(159, orderId);
    expect(others).toEqual([]);
    expect(record?.requests).toBe(3);
    expect(t.storedOrder(orderId).orderInfo.wayBill).toBe(record?.booking.waybill);
    expect(t.stepsTo(orderId)).toEqual(t.expectedSteps(["waybill", "tracking", "parcel", "label"]));
  });

  it("finishes, booking once, after a worker crashed between recording its booking and writing back", async () => {
    const orderId = t.seedOrder();
    const booked = t.harness.metricCount("TransportBooked");
    const crashesBefore = t.crashes;
    let afterCrash: { step: string | undefined; leaseHeld: boolean; steps: WriteBack["step"][] } | undefined;
    await t.harness.send(t.webhook(orderId), "order-shipped");
    // The first delivery runs the crashing worker; SQS's redelivery of the same message runs the plain one.
    await t.harness.run(async (event, context, callback) => {
      if (afterCrash) return (await t.handler(event, context, callback)) as SQSBatchResponse;
      const answer = (await t.crashingHandler(event, context, callback)) as SQSBatchResponse;
      const { store, workflow } = await t.workflowOf(159, orderId);
      afterCrash = {
        step: workflow?.step,
        leaseHeld: (workflow?.data.leaseUntil ?? 0) > Date.now(),
        steps: t.stepsTo(orderId),
      };
      // A dead worker's lease lasts to its invocation's deadline, which on AWS has passed long before SQS
      // redelivers (visibility timeout = 6 × the function timeout); end it now instead of waiting it out.
      if (workflow) await store.advance(workflow, workflow.step, { leaseUntil: Date.now() - 1 });
      return answer;
    });

    expect(t.crashes - crashesBefore).toBe(1);
    // The crash left a booking only the record knew of, its lease still held, nothing written back.
    expect(afterCrash).toEqual({ step: "booked", leaseHeld: true, steps: [] });
    expect(await t.harness.deadLetters()).toEqual([]);
    const [record, ...others] = t.transport.bookingsForOrder(159, orderId);
    expect(others).toEqual([]);
    expect(record?.requests).toBe(1);
    expect(t.harness.metricCount("TransportBooked") - booked).toBe(1);
    expect(t.stepsTo(orderId)).toEqual(t.expectedSteps(["waybill", "tracking", "parcel", "label"]));
    expect(t.storedOrder(orderId).orderInfo.wayBill).toBe(record?.booking.waybill);
    expect((await t.workflowOf(159, orderId)).workflow).toMatchObject({
      step: "written-back",
      data: { leaseUntil: 0, written: { waybill: true, tracking: true, label: true } },
    });
  });

  // A worker that died part-way through the write-back: the steps it recorded are not repeated.
}

/** A worker that died after recording its booking, and duplicate events racing it. */
function workerDeathScenarios(t: TransportBookingRun): void {
  it("finishes the write-back of a worker that died after recording its booking", async () => {
    const orderId = t.seedOrder();
    const answer = await fetch(t.transport.bookingUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": "transport-key",
        "idempotency-key": `159-${orderId}`,
      },
      body: JSON.stringify({
        idempotencyKey: `159-${orderId}`,
        goodsOwnerId: 159,
        orderId,
        transporter: { code: "PLAB" },
        consignee: {},
        parcels: [],
        lines: [],
      }),
    });
    const booking = bookingSchema.parse(await answer.json());
    // The dead worker's record: booked, the waybill written, its lease run out.
    const { store } = await t.workflowOf(159, orderId);
    const { workflow } = await store.start(`159#${orderId}`, "booking", {
      leaseUntil: Date.now() + 60_000,
    });
    // Recorded as an earlier version did: the label inline in the record.
    await store.advance(workflow, "booked", {
      booking: {
        waybill: booking.waybill,
        trackingUrl: booking.trackingUrl,
        parcels: booking.parcels,
        label: booking.label,
      },
      leaseUntil: Date.now() - 1,
      written: { waybill: true },
    });
    t.ongoing.state.patchOrder(orderId, { orderInfo: { wayBill: booking.waybill } });

    await t.harness.send(t.webhook(orderId), "order-shipped");
    await t.harness.run(t.handler);

    expect(await t.harness.deadLetters()).toEqual([]);
    expect(t.transport.bookingsForOrder(159, orderId)).toMatchObject([{ requests: 1 }]);
    expect(t.stepsTo(orderId)).toEqual(t.expectedSteps(["tracking", "parcel", "label"]));
    expect((await t.workflowOf(159, orderId)).workflow?.step).toBe("written-back");
  });

  it("books once for duplicate and concurrent events about the same order", async () => {
    const orderId = t.seedOrder();
    t.transport.state.latencyMs = 200;
    const duplicate = t.webhook(orderId);
    await Promise.all([
      t.harness.send(duplicate, "order-shipped"),
      t.harness.send(duplicate, "order-shipped"),
      t.harness.send(t.webhook(orderId), "order-shipped"),
      t.harness.send(t.webhook(orderId), "order-shipped"),
    ]);
    const raced = t.harness.metricCount("Failed", { class: "transient" });
    await t.harness.run(t.handler, { batchSize: 10, maxConcurrency: 2 });
    // The deliveries overlapped: the ones that lost the race were told to come back later.
    expect(t.harness.metricCount("Failed", { class: "transient" })).toBeGreaterThan(raced);

    expect(await t.harness.deadLetters()).toEqual([]);
    expect(t.transport.bookingsForOrder(159, orderId)).toMatchObject([{ requests: 1 }]);
    expect(t.stepsTo(orderId)).toEqual(t.expectedSteps(["waybill", "tracking", "parcel", "label"]));
  });
}

/** The transport system failing for a while, or refusing. */
function transportFailureScenarios(t: TransportBookingRun): void {
  it("retries when the transport system fails for a while, then books", async () => {
    const orderId = t.seedOrder();
    const failed = t.harness.metricCount("TransportFailed");
    t.transport.injectFault({ status: 503, times: 2 });
    await t.harness.send(t.webhook(orderId), "order-shipped");
    await t.harness.run(t.handler);

    expect(await t.harness.deadLetters()).toEqual([]);
    expect(t.harness.metricCount("TransportFailed") - failed).toBe(2);
    expect(t.transport.bookingsForOrder(159, orderId)).toMatchObject([{ requests: 1 }]);
    expect(t.storedOrder(orderId).orderInfo.wayBill).toBe(
      t.transport.bookingsForOrder(159, orderId)[0]?.booking.waybill,
    );
  });

  it("dead-letters a booking the transport system rejects, with its reason", async () => {
    const orderId = t.seedOrder();
    t.transport.injectFault({ status: 422, body: { message: "service P18 is not available to US" } });
    await t.harness.send(t.webhook(orderId), "order-shipped");
    await t.harness.run(t.handler);

    const [letter, ...more] = await t.harness.deadLetters();
    expect(more).toEqual([]);
    expect(letter?.attributes).toMatchObject({
      failureClass: "permanent",
      failureCode: "transport-rejected",
      failureReason: "transport system rejected the booking (HTTP 422): service P18 is not available to US",
    });
    expect(t.transport.bookingsForOrder(159, orderId)).toEqual([]);
    expect(t.writesTo(orderId)).toEqual([]);
    // Released, so a replay from the DLQ books at once.
    expect((await t.workflowOf(159, orderId)).workflow).toMatchObject({
      step: "booking",
      data: { leaseUntil: 0 },
    });
  });
}
