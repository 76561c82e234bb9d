/**
 * Use-case 2's scenarios, run by each `transport-booking*.test.ts` file with one Ongoing API as the deployment's
 * choice (see transport-booking.support.ts): booking and writing back, goods owners' own settings, dead letters
 * for what cannot be booked; the recovery scenarios are in transport-booking-recovery.scenarios.ts.
 */
import { describe, expect, it } from "vitest";
import type { OngoingApi } from "../functions/shared/goods-owners.ts";
import { bookingSchema } from "../functions/transport-booking/transport-system.ts";
import {
  otherApi,
  type TransportBookingRun,
  useTransportBooking,
  type WriteBack,
} from "./transport-booking.support.ts";
import { recoveryScenarios } from "./transport-booking-recovery.scenarios.ts";

export function transportBookingScenarios(api: OngoingApi): void {
  const t = useTransportBooking(api);
  describe(`transport booking through Ongoing's ${api} API`, () => {
    bookingScenarios(t);
    goodsOwnerScenarios(t);
    recoveryScenarios(t);
  });
}

/** Booking and writing back, whatever the order carries. */
function bookingScenarios(t: TransportBookingRun): void {
  it("books Ongoing's example order once and writes waybill, tracking, parcels and label back", async () => {
    const orderId = t.seedOrder();
    const booked = t.harness.metricCount("TransportBooked");
    const notWritten = t.harness.metricCount("ParcelsNotWritten");
    await t.harness.send(t.webhook(orderId), "order-shipped");
    await t.harness.run(t.handler);

    expect(await t.harness.deadLetters()).toEqual([]);
    const [record, ...others] = t.transport.bookingsForOrder(159, orderId);
    expect(others).toEqual([]);
    expect(record).toMatchObject({ key: `159-${orderId}`, requests: 1 });
    expect(record?.shipment).toMatchObject({
      orderId,
      goodsOwnerId: 159,
      orderNumber: `O${orderId}`,
      transporter: { code: "PLAB", serviceCode: "P18" },
      consignee: { postCode: "12345", countryCode: "US" },
    });
    const booking = bookingSchema.parse(record?.booking);
    const parcelNumber = booking.parcels[0]?.parcelNumber ?? "";
    const expected: WriteBack[] = [
      { step: "waybill", waybill: booking.waybill },
      { step: "tracking", waybill: booking.waybill, trackingUrl: booking.trackingUrl ?? "" },
      { step: "parcel", parcelNumber },
      { step: "label", fileName: booking.label?.fileName ?? "", mimeType: "application/pdf" },
    ];
    expect(t.writesTo(orderId)).toEqual(
      expected.filter((write) => t.expectedSteps([write.step]).length === 1),
    );
    expect(t.storedOrder(orderId).orderInfo.wayBill).toBe(booking.waybill);
    expect(t.storedOrder(orderId).tracking).toEqual([
      expect.objectContaining({ waybill: booking.waybill, trackingUrl: booking.trackingUrl }),
    ]);
    expect(t.ongoing.state.files.get(orderId)?.[0]).toMatchObject({ fileDataBase64: booking.label?.base64 });
    expect(t.harness.metricCount("TransportBooked") - booked).toBe(1);
    // Parcel numbers the API cannot take are counted, not lost silently.
    expect(t.harness.metricCount("ParcelsNotWritten") - notWritten).toBe(t.api === "rest" ? 0 : 1);

    const { workflow } = await t.workflowOf(159, orderId);
    expect(workflow).toMatchObject({
      step: "written-back",
      data: { leaseUntil: 0, written: { waybill: true, tracking: true, label: true } },
    });
    expect(workflow?.data.booking?.label).toBeUndefined();

    // A later status change to Sent for the same order: our record says it is booked.
    const skipped = t.harness.metricCount("TransportSkipped", { reason: "already-booked" });
    const writes = t.writesTo(orderId).length;
    await t.harness.send(t.webhook(orderId), "order-shipped");
    await t.harness.run(t.handler);
    expect(t.harness.metricCount("TransportSkipped", { reason: "already-booked" }) - skipped).toBe(1);
    expect(t.transport.bookingsForOrder(159, orderId)).toHaveLength(1);
    expect(t.writesTo(orderId)).toHaveLength(writes);
  });

  it.each([
    ["already-waybilled", () => 50163, 159],
    [
      "transporter-not-configured",
      () => t.seedOrder({ transporter: { code: "DHLFREIGHTSE", serviceCode: "SP" } }),
      159,
    ],
    [
      "transporter-not-configured",
      () => t.seedOrder({ transporter: { code: "PLAB", serviceCode: "P24" } }),
      159,
    ],
    ["transporter-not-configured", () => t.seedOrder({ goodsOwner: { id: 160 } }), 160],
    [
      "cancelled",
      () => t.seedOrder({ orderInfo: { orderStatus: { number: 1000, text: "Makulerad" } } }),
      159,
    ],
  ])("skips an order: %s", async (reason, order, goodsOwnerId) => {
    const orderId = order();
    const requests = t.transport.state.requests;
    const skipped = t.harness.metricCount("TransportSkipped", { reason });
    await t.harness.send(t.webhook(orderId, { goodsOwnerId }), "order-shipped");
    await t.harness.run(t.handler);
    expect(await t.harness.deadLetters()).toEqual([]);
    expect(t.harness.metricCount("TransportSkipped", { reason }) - skipped).toBe(1);
    expect(t.transport.state.requests).toBe(requests);
    expect(t.writesTo(orderId)).toEqual([]);
    expect((await t.workflowOf(goodsOwnerId, orderId)).workflow).toBeUndefined();
  });
}

/** Goods owners with their own settings, and what cannot be booked at all. */
function goodsOwnerScenarios(t: TransportBookingRun): void {
  it("serves goods owners with their own credentials, transporters and API in one run", async () => {
    const plab159 = t.seedOrder();
    const budbee160 = t.seedOrder({
      goodsOwner: { id: 160 },
      transporter: { code: "BUDBEE", serviceCode: "HOME" },
    });
    const plab160 = t.seedOrder({ goodsOwner: { id: 160 } });
    const plab161 = t.seedOrder({ goodsOwner: { id: 161 } });
    const skipped = t.harness.metricCount("TransportSkipped", { reason: "transporter-not-configured" });
    await Promise.all([
      t.harness.send(t.webhook(plab159), "order-shipped"),
      t.harness.send(t.webhook(budbee160, { goodsOwnerId: 160 }), "order-shipped"),
      t.harness.send(t.webhook(plab160, { goodsOwnerId: 160 }), "order-shipped"),
      t.harness.send(t.webhook(plab161, { goodsOwnerId: 161 }), "order-shipped"),
    ]);
    await t.harness.run(t.handler);

    expect(await t.harness.deadLetters()).toEqual([]);
    expect(t.transport.bookingsForOrder(159, plab159)).toMatchObject([
      { shipment: { transporter: { code: "PLAB" } } },
    ]);
    expect(t.transport.bookingsForOrder(160, budbee160)).toMatchObject([
      { shipment: { transporter: { code: "BUDBEE" } } },
    ]);
    expect(t.transport.bookingsForOrder(161, plab161)).toHaveLength(1);
    // 160's own list has no PLAB, though the default list has.
    expect(t.transport.bookingsForOrder(160, plab160)).toEqual([]);
    expect(
      t.harness.metricCount("TransportSkipped", { reason: "transporter-not-configured" }) - skipped,
    ).toBe(1);

    const all: WriteBack["step"][] = ["waybill", "tracking", "parcel", "label"];
    expect(t.stepsTo(plab159)).toEqual(t.expectedSteps(all));
    expect(t.stepsTo(budbee160)).toEqual(t.expectedSteps(all));
    expect(t.stepsTo(plab161)).toEqual(t.expectedSteps(all, otherApi(t.api)));
    expect(t.stepsTo(plab160)).toEqual([]);
    // Each goods owner's writes were made as that goods owner (REST: its own login).
    expect(t.writeOwners(plab159)).toEqual(new Set([159]));
    expect(t.writeOwners(budbee160)).toEqual(new Set([160]));
    expect(t.writeOwners(plab161)).toEqual(new Set([161]));
    for (const orderId of [plab159, budbee160, plab161]) {
      expect(t.storedOrder(orderId).orderInfo.wayBill).toMatch(/^SIM/);
    }
  });

  it("dead-letters a goods owner without Ongoing credentials, with the reason", async () => {
    const orderId = t.seedOrder({ goodsOwner: { id: 162 } });
    const calls = t.ongoing.state.requests.length;
    await t.harness.send(t.webhook(orderId, { goodsOwnerId: 162 }), "order-shipped");
    await t.harness.run(t.handler);

    const [letter, ...more] = await t.harness.deadLetters();
    expect(more).toEqual([]);
    expect(letter?.attributes).toMatchObject({
      failureClass: "permanent",
      failureCode: "no-credentials",
      failureReason:
        "no Ongoing API credentials configured for goods owner 162 " +
        "(set goodsOwners.162.credentialsSecretName or ongoing.credentialsSecretName)",
    });
    expect(t.ongoing.state.requests.length).toBe(calls);
    expect(t.transport.bookingsForOrder(162, orderId)).toEqual([]);
  });

  it("dead-letters an order Ongoing does not know, with the reason", async () => {
    await t.harness.send(t.webhook(999_999), "order-shipped");
    await t.harness.run(t.handler);
    const [letter, ...more] = await t.harness.deadLetters();
    expect(more).toEqual([]);
    expect(letter?.attributes).toMatchObject({ failureClass: "permanent", failureCode: "not-found" });
    expect(t.transport.bookingsForOrder(159, 999_999)).toEqual([]);
  });
}
