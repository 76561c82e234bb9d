import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type NshiftSimulator, startNshiftSimulator } from "../../simulators/nshift/server.ts";
import { officialExample } from "../../simulators/ongoing/seed.ts";
import { PermanentError, TransientError } from "../shared/errors.ts";
import { orderSchema } from "../shared/ongoing/model.ts";
import { nshiftShipmentFrom } from "./nshift-shipment.ts";
import { createNshiftTransportSystem, parseNshiftCredentials } from "./nshift-transport-system.ts";
import { type BookOptions, shipmentFromOrder } from "./transport-system.ts";

const apiKey = { id: "test-key", secret: "test-secret" };
const account = { senderQuickId: "WH1" };
const shipment = shipmentFromOrder(orderSchema.parse(officialExample("order")));
const first: BookOptions = { remainingTimeMs: () => 60_000, earlierAttempt: false };
const retry: BookOptions = { remainingTimeMs: () => 60_000, earlierAttempt: true };

let simulator: NshiftSimulator;
beforeAll(async () => {
  simulator = await startNshiftSimulator({ apiKey });
});
afterAll(() => simulator.stop());
beforeEach(() => simulator.reset());

const adapter = (options: { timeoutMs?: number; key?: typeof apiKey } = {}) =>
  createNshiftTransportSystem({
    ...account,
    baseUrl: simulator.baseUrl,
    timeoutMs: options.timeoutMs ?? 5_000,
    credentials: async () => options.key ?? apiKey,
  });

/** The error a promise rejects with. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );

describe("nshiftShipmentFrom", () => {
  it("maps Ongoing's official example order to nShift's shipment", () => {
    expect(nshiftShipmentFrom(shipment, account)).toEqual({
      sender: { quickId: "WH1" },
      receiver: {
        name: "Name 1",
        address1: "Address 1",
        address2: "Address 2, Address 3",
        zipcode: "12345",
        city: "City",
        state: "MN",
        country: "US",
        email: "a@b.com",
        mobile: "123456789",
      },
      agent: { quickId: "3232323" },
      service: { id: "P18" },
      orderNo: "O1231234",
      senderReference: "159-50163",
      receiverReference: "KL33334",
      deliveryInstruction: "Do not bend",
      parcels: [{ copies: 1 }],
    });
  });

  it("books one parcel with the order's weight when the warehouse registered none, the transporter code as service without a service code", () => {
    const mapped = nshiftShipmentFrom(
      { ...shipment, parcels: [], totalWeightKg: 2.5, transporter: { code: "DHL" } },
      account,
    );
    expect(mapped.parcels).toEqual([{ copies: 1, weight: 2.5 }]);
    expect(mapped.service).toEqual({ id: "DHL" });
  });
});

describe("nShift adapter against the nShift simulator", () => {
  it("stores and prints the shipment: parcel numbers and the label PDF inline", async () => {
    const booking = await adapter().book(shipment, first);
    const [printed] = simulator.printedFor("159-50163");
    expect(printed).toBeDefined();
    expect(booking.waybill).toBe(printed?.shipmentNo);
    expect(booking.parcels).toEqual([{ parcelNumber: printed?.parcels[0]?.parcelNo }]);
    expect(booking.label?.mimeType).toBe("application/pdf");
    expect(Buffer.from(booking.label?.base64 ?? "", "base64").toString("latin1")).toMatch(/^%PDF-/);
    // A first attempt does not search: nothing of it can exist yet.
    expect(simulator.state.requests).toEqual({ search: 0, store: 1, print: 1 });
  });

  it("a time-out after the print took effect books exactly one shipment, and the retry is refused with a clear reason", async () => {
    simulator.injectFault({ operation: "print", afterEffect: true, delayMs: 1_500 });
    const timedOut = await failure(adapter({ timeoutMs: 500 }).book(shipment, first));
    expect(timedOut).toBeInstanceOf(TransientError);
    expect((timedOut as Error).message).toMatch(/nShift did not answer to the print \(timeout\)/);

    const retried = await failure(adapter().book(shipment, retry));
    expect(retried).toBeInstanceOf(PermanentError);
    expect((retried as PermanentError).code).toBe("transport-booking-unknown");
    expect((retried as Error).message).toMatch(/Not booked twice/);
    expect(simulator.printedFor("159-50163")).toHaveLength(1);
    expect(simulator.state.stored.size).toBe(1);
  });

  it("a time-out after the shipment was stored: the retry finds it by reference and prints that one", async () => {
    simulator.injectFault({ operation: "store", afterEffect: true, delayMs: 1_500 });
    expect(await failure(adapter({ timeoutMs: 500 }).book(shipment, first))).toBeInstanceOf(TransientError);

    const booking = await adapter().book(shipment, retry);
    expect(simulator.state.stored.size).toBe(1);
    expect(simulator.printedFor("159-50163")).toHaveLength(1);
    expect(booking.waybill).toBe(simulator.printedFor("159-50163")[0]?.shipmentNo);
    expect(simulator.state.requests).toEqual({ search: 1, store: 1, print: 1 });
  });

  it("a 5xx is transient, and the retry looks before booking: still one shipment", async () => {
    simulator.injectFault({ operation: "store", status: 503 });
    const error = await failure(adapter().book(shipment, first));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe("nShift answered HTTP 503 to the booking: Internal error");

    await adapter().book(shipment, retry);
    expect(simulator.state.requests.search).toBe(1);
    expect(simulator.printedFor("159-50163")).toHaveLength(1);
  });

  it("a 5xx after the print took effect is never printed again", async () => {
    simulator.injectFault({ operation: "print", afterEffect: true, status: 500 });
    expect(await failure(adapter().book(shipment, first))).toBeInstanceOf(TransientError);
    expect(await failure(adapter().book(shipment, retry))).toBeInstanceOf(PermanentError);
    expect(simulator.printedFor("159-50163")).toHaveLength(1);
  });

  it("a wrong API key is permanent, with the reason, and books nothing", async () => {
    const error = await failure(adapter({ key: { id: "test-key", secret: "wrong" } }).book(shipment, first));
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe("transport-unauthorized");
    expect((error as Error).message).toMatch(/nShift refused the API key \(HTTP 401\)/);
    expect(simulator.state.stored.size).toBe(0);
  });

  it("a 401 injected on the search is permanent too", async () => {
    simulator.injectFault({
      operation: "search",
      status: 401,
      body: { code: "UNAUTHORIZED", message: "expired" },
    });
    const error = await failure(adapter().book(shipment, retry));
    expect((error as PermanentError).code).toBe("transport-unauthorized");
  });

  it("a shipment nShift stores as INVALID is permanent, naming the fields; once the order is fixed a new one is booked", async () => {
    const error = await failure(
      adapter().book({ ...shipment, consignee: { ...shipment.consignee, postCode: undefined } }, first),
    );
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe("transport-rejected");
    expect((error as Error).message).toMatch(
      /as INVALID \(\d+\), not printable: Address_Zipcode: Value missing/,
    );

    // The INVALID one was never printed: the redrive stores the fixed shipment instead of adopting it.
    await adapter().book(shipment, retry);
    expect(simulator.state.stored.size).toBe(2);
    expect(simulator.printedFor("159-50163")).toHaveLength(1);
  });

  it("an unreachable nShift is transient", async () => {
    const closed = await startNshiftSimulator();
    await closed.stop();
    const error = await failure(
      createNshiftTransportSystem({
        ...account,
        baseUrl: closed.baseUrl,
        timeoutMs: 1_000,
        credentials: async () => apiKey,
      }).book(shipment, first),
    );
    expect(error).toBeInstanceOf(TransientError);
  });
});

describe("parseNshiftCredentials", () => {
  it("takes {id, secret} and names the secret otherwise", () => {
    expect(parseNshiftCredentials({ id: "a", secret: "b" }, "s")).toEqual({ id: "a", secret: "b" });
    expect(() => parseNshiftCredentials({ id: "a" }, "nshift/key")).toThrow(
      /secret "nshift\/key" must be JSON/,
    );
  });
});
