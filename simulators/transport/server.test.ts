import { describe, expect, it } from "vitest";
import type { Shipment } from "../../functions/transport-booking/transport-system.ts";
import { useTransportSimulator } from "../../test/support/env.ts";

const simulator = useTransportSimulator({ auth: { headerName: "X-Api-Key", value: "k" } });

const shipment = (orderId: number): Shipment => ({
  idempotencyKey: `159-${orderId}`,
  goodsOwnerId: 159,
  orderId,
  transporter: { code: "PLAB", serviceCode: "P18" },
  consignee: { countryCode: "SE" },
  parcels: [],
  lines: [],
});

const book = (body: Shipment, headers: Record<string, string> = {}) =>
  fetch(simulator.bookingUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": "k",
      "idempotency-key": body.idempotencyKey,
      ...headers,
    },
    body: JSON.stringify(body),
  });

const admin = (path: string, init: RequestInit = {}) => fetch(`${simulator.adminUrl}${path}`, init);

describe("transport simulator", () => {
  it("books once per idempotency key and returns the same booking on a repeat", async () => {
    const first = await book(shipment(1));
    expect(first.status).toBe(201);
    const booking = (await first.json()) as { waybill: string; label: { base64: string } };
    expect(Buffer.from(booking.label.base64, "base64").toString("latin1")).toMatch(/^%PDF-1\.4/);
    const again = await book(shipment(1));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(booking);
    expect(simulator.bookingsForOrder(159, 1)).toHaveLength(1);
    const record = (await (await admin("/bookings/159-1")).json()) as { requests: number };
    expect(record.requests).toBe(2);
    expect(await (await admin("/stats")).json()).toMatchObject({ requests: 2, bookings: 1 });
  });

  it("rejects requests without credentials, key or valid shipment", async () => {
    expect((await book(shipment(2), { "x-api-key": "wrong" })).status).toBe(401);
    expect((await book(shipment(2), { "idempotency-key": "" })).status).toBe(400);
    expect((await book({ ...shipment(2), transporter: { code: "" } })).status).toBe(422);
    expect(simulator.state.bookings.size).toBe(0);
  });

  it("injects faults through the admin API, each consumed in order", async () => {
    const injected = await admin("/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        { status: 503, retryAfter: "2", times: 2 },
        { reset: true },
        { status: 502, afterBooking: true },
      ]),
    });
    expect(injected.status).toBe(204);
    const unavailable = await book(shipment(3));
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get("retry-after")).toBe("2");
    expect((await book(shipment(3))).status).toBe(503);
    await expect(book(shipment(3))).rejects.toThrow();
    expect(simulator.state.bookings.size).toBe(0);
    expect((await book(shipment(3))).status).toBe(502);
    expect(simulator.bookingsForOrder(159, 3)).toHaveLength(1);
    const recovered = await book(shipment(3));
    expect(recovered.status).toBe(200);
    expect(simulator.bookingsForOrder(159, 3)).toHaveLength(1);
  });

  it("goes down whole in an outage (every path, the probe's GET too) until lifted, faults waiting for it", async () => {
    simulator.injectFault({ status: 502 });
    const started = await admin("/outage", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ retryAfter: "5" }),
    });
    expect(started.status).toBe(204);
    const refused = await book(shipment(6));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect((await fetch(simulator.bookingUrl)).status).toBe(503);
    expect((await fetch(`${simulator.baseUrl}/track/SIM1`)).status).toBe(503);
    expect(await (await admin("/stats")).json()).toMatchObject({ outage: { status: 503 }, faults: 1 });
    expect(simulator.state.bookings.size).toBe(0);

    simulator.startOutage({ reset: true });
    await expect(fetch(simulator.bookingUrl)).rejects.toThrow();
    await expect(book(shipment(6))).rejects.toThrow();

    expect((await admin("/outage", { method: "DELETE" })).status).toBe(204);
    expect((await fetch(simulator.bookingUrl)).status).toBe(404);
    // The fault queued before the outage is the next booking's.
    expect((await book(shipment(6))).status).toBe(502);
    expect((await book(shipment(6))).status).toBe(201);
    expect(simulator.bookingsForOrder(159, 6)).toHaveLength(1);
    expect(simulator.state.requests).toBe(4);

    simulator.startOutage();
    simulator.reset();
    expect(simulator.state.outage).toBeUndefined();
    expect((await admin("/outage", { method: "PUT", body: JSON.stringify({ status: 42 }) })).status).toBe(
      400,
    );
    expect(simulator.state.outage).toBeUndefined();
  });

  it("books big labels and a label per parcel when configured", async () => {
    const config = await admin("/config", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ labelBytes: 1_000_000, parcelLabels: true, parcelCount: 3 }),
    });
    expect(config.status).toBe(204);
    const booking = (await (await book(shipment(5))).json()) as {
      label: { base64: string };
      parcels: { parcelNumber: string; label: { fileName: string; base64: string } }[];
    };
    const pdf = Buffer.from(booking.label.base64, "base64");
    expect(pdf.length).toBe(1_000_000);
    expect(pdf.toString("latin1")).toMatch(/^%PDF-1\.4[\s\S]*%%EOF\n$/);
    expect(booking.parcels).toHaveLength(3);
    expect(booking.parcels.map((parcel) => parcel.label.fileName)).toEqual(
      booking.parcels.map((parcel) => `label-${parcel.parcelNumber}.pdf`),
    );
    simulator.reset();
    expect(simulator.state).toMatchObject({ labelBytes: 0, parcelLabels: false, parcelCount: undefined });
  });

  it("changes latency and labels, and clears faults and bookings", async () => {
    const config = await admin("/config", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ latencyMs: 1, labels: false }),
    });
    expect(config.status).toBe(204);
    expect(simulator.state.latencyMs).toBe(1);
    expect(((await (await book(shipment(4))).json()) as { label?: unknown }).label).toBeUndefined();
    simulator.injectFault({ status: 500 });
    expect((await admin("/faults", { method: "DELETE" })).status).toBe(204);
    expect((await admin("/reset", { method: "POST" })).status).toBe(204);
    expect(simulator.state.bookings.size).toBe(0);
    expect((await admin("/nothing")).status).toBe(404);
  });
});

describe("transport simulator: status callbacks", () => {
  it("posts each configured status event of a new booking, in order, and none for a repeat", async () => {
    const received: unknown[] = [];
    const { createServer } = await import("node:http");
    const { listen, closeServer, readBody } = await import("../http.ts");
    const receiver = createServer((request, response) => {
      void readBody(request).then((body) => {
        received.push({ token: request.headers["x-auth-token"], body: JSON.parse(body) });
        response.writeHead(202).end("{}");
      });
    });
    const port = await listen(receiver, {});
    try {
      const put = await admin("/config", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          details: true,
          statusCallbacks: {
            url: `http://127.0.0.1:${port}/v1/webhooks/transport-status`,
            headers: { "X-Auth-Token": "t" },
            statuses: ["PickedUpByCarrier", "Delivered"],
          },
        }),
      });
      expect(put.status).toBe(204);
      const booking = (await (await book(shipment(7))).json()) as Record<string, unknown>;
      expect(booking).toMatchObject({
        transporterOrderNumber: `TON-${booking.waybill}`,
        freightPrice: 99.5,
        returnWaybill: `RET-${booking.waybill}`,
      });
      await book(shipment(7));
      await simulator.statusEventsSent();
      const { transportStatusEventSchema } = await import(
        "../../functions/shared/contract/webhook-schemas.ts"
      );
      expect(received).toHaveLength(2);
      const events = received.map((item) => (item as { body: unknown }).body);
      expect(events.map((event) => transportStatusEventSchema.parse(event).transportStatus)).toEqual([
        "PickedUpByCarrier",
        "Delivered",
      ]);
      expect(received[0]).toMatchObject({
        token: "t",
        body: { goodsOwnerId: 159, orderId: 7, waybill: booking.waybill, eventType: "Delivery" },
      });
      expect(simulator.state.sentStatusEvents.map((sent) => sent.status)).toEqual([202, 202]);
    } finally {
      await closeServer(receiver);
    }
  });
});
