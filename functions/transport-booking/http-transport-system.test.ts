import { describe, expect, it } from "vitest";
import { useTransportSimulator } from "../../test/support/env.ts";
import { createHttpTransportSystem } from "./http-transport-system.ts";
import type { Shipment } from "./transport-system.ts";

const simulator = useTransportSimulator({ auth: { headerName: "X-Api-Key", value: "secret-key" } });

const shipment: Shipment = {
  idempotencyKey: "159-50163",
  goodsOwnerId: 159,
  orderId: 50163,
  orderNumber: "O1231234",
  transporter: { code: "PLAB", serviceCode: "P18" },
  consignee: { countryCode: "US" },
  parcels: [{ parcelNumber: "00376546546" }],
  lines: [{ rowNumber: "1", articleNumber: "1009", quantity: 2 }],
};
const time = { remainingTimeMs: () => 60_000 };

const adapter = (timeoutMs = 5_000) =>
  createHttpTransportSystem({
    url: simulator.bookingUrl,
    auth: { headerName: "X-Api-Key", value: async () => "secret-key" },
    timeoutMs,
  });

describe("HTTP transport adapter", () => {
  it("books with the idempotency key and auth header, and gets the same booking back on a repeat", async () => {
    const booking = await adapter().book(shipment, time);
    expect(booking).toMatchObject({
      waybill: expect.stringMatching(/^SIM/),
      parcels: [{ parcelNumber: expect.any(String) }],
    });
    expect(booking.label?.mimeType).toBe("application/pdf");
    expect(await adapter().book(shipment, time)).toEqual(booking);
    expect(simulator.state.bookings.get("159-50163")).toMatchObject({ requests: 2, shipment });
  });

  it("treats 5xx, 429, resets and time-outs as transient", async () => {
    simulator.injectFault({ status: 503 });
    await expect(adapter().book(shipment, time)).rejects.toMatchObject({
      name: "TransientError",
      code: "transport-unavailable",
    });
    simulator.injectFault({ status: 429, retryAfter: "3" });
    await expect(adapter().book(shipment, time)).rejects.toMatchObject({
      name: "TransientError",
      retryAfterMs: 3000,
    });
    simulator.injectFault({ reset: true });
    await expect(adapter().book(shipment, time)).rejects.toMatchObject({ name: "TransientError" });
    simulator.injectFault({ delayMs: 500 });
    await expect(adapter(50).book(shipment, time)).rejects.toMatchObject({ name: "TransientError" });
    expect((await adapter().book(shipment, time)).waybill).toMatch(/^SIM/);
    expect(simulator.bookingsForOrder(159, 50163)).toHaveLength(1);
  });

  it("treats 4xx and invalid answers as permanent, with the reason", async () => {
    simulator.injectFault({ status: 422, body: { message: "unknown service code" } });
    await expect(adapter().book(shipment, time)).rejects.toMatchObject({
      name: "PermanentError",
      code: "transport-rejected",
      message: "transport system rejected the booking (HTTP 422): unknown service code",
    });
    simulator.injectFault({
      status: 400,
      body: { message: "Receiver 'Anna Svensson', anna@example.se, +46 70 123 45 67: address not found" },
    });
    const redacted = await adapter()
      .book(shipment, time)
      .catch((error: Error) => error.message);
    expect(redacted).toBe(
      'transport system rejected the booking (HTTP 400): Receiver "…", [email], [number]: address not found',
    );
    simulator.injectFault({ status: 200, body: { parcels: [] } });
    await expect(adapter().book(shipment, time)).rejects.toMatchObject({
      name: "PermanentError",
      code: "transport-invalid-response",
    });
    const unauthorized = createHttpTransportSystem({ url: simulator.bookingUrl, timeoutMs: 5_000 });
    await expect(unauthorized.book(shipment, time)).rejects.toMatchObject({
      message: expect.stringContaining("HTTP 401"),
    });
  });
});
