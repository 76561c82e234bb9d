import { describe, expect, it, vi } from "vitest";
import { captureEmf } from "../../../test/support/emf.ts";
import { useOngoingSimulator } from "../../../test/support/env.ts";
import { NotFoundError, PermanentError, TransientError } from "../errors.ts";
import { dimensionedMetrics } from "../powertools/dimensioned-metrics.ts";
import { type AutomationClientOptions, automationUrlFrom, createAutomationClient } from "./automation.ts";
import { OngoingWriteUnknownError } from "./call.ts";
import { createOngoingClient } from "./client.ts";
import type { CredentialsRequest } from "./credentials.ts";
import type { OngoingOrder } from "./model.ts";

const simulator = useOngoingSimulator({ resetEach: true });

const integrator = { username: "automation", password: "automation-password" };

function clientFor(overrides: Partial<AutomationClientOptions> = {}) {
  return createAutomationClient({
    url: simulator.automationUrl,
    credentials: async () => integrator,
    timeoutMs: 2_000,
    ...overrides,
  });
}

const restClient = (goodsOwnerId = 159) =>
  createOngoingClient({
    baseUrl: simulator.baseUrl,
    goodsOwnerId,
    credentials: async () =>
      goodsOwnerId === 159
        ? { username: "demo", password: "demo-password" }
        : { username: "other", password: "other-password" },
  });

const calls = (operation: string) => simulator.state.calls.get(operation) ?? 0;

const file = { fileName: "l.pdf", mimeType: "application/pdf", fileDataBase64: "JVBERi0=" };

/** The fields the order model types, as the use-cases read them. */
function typedFields(order: OngoingOrder) {
  const pick = <T extends object>(value: T | null | undefined, keys: string[]) =>
    value === null || value === undefined
      ? value
      : Object.fromEntries(
          keys
            .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
            .map((key) => [key, (value as Record<string, unknown>)[key]]),
        );
  const address = [
    "name",
    "address1",
    "address2",
    "address3",
    "postCode",
    "city",
    "countryCode",
    "countryStateCode",
  ];
  return {
    goodsOwner: pick(order.goodsOwner, ["id", "name"]),
    orderInfo: {
      ...pick(order.orderInfo, ["orderId", "orderNumber", "goodsOwnerOrderId", "wayBill", "shippedTime"]),
      orderStatus: pick(order.orderInfo.orderStatus, ["number", "text"]),
      emailNotification: pick(order.orderInfo.emailNotification, ["toBeNotified", "value"]),
    },
    consignee: pick(order.consignee, [...address, "customerNumber", "advanced", "invoiceAddress"]),
    parcels: order.parcels?.map((parcel) =>
      pick(parcel, ["id", "parcelNumber", "isReturnParcel", "tracking"]),
    ),
    orderLines: order.orderLines?.map((line) => ({
      ...pick(line, ["id", "rowNumber", "orderedNumberOfItems", "pickedNumberOfItems"]),
      article: pick(line.article, ["articleSystemId", "articleNumber", "articleName", "productCode"]),
    })),
    tracking: order.tracking?.map((tracking) => pick(tracking, ["trackingUrl", "waybill", "isReturn"])),
    transporter: pick(order.transporter, ["transporterName", "name", "code", "serviceCode"]),
  };
}

describe("Automation client: calls", () => {
  it("derives the endpoint from the REST base URL", () => {
    expect(automationUrlFrom("https://api.ongoingsystems.se/demo/api/v1/")).toBe(
      "https://api.ongoingsystems.se/demo/Automation.asmx",
    );
    expect(automationUrlFrom("http://127.0.0.1:3001/wh/api/v1")).toBe(
      "http://127.0.0.1:3001/wh/Automation.asmx",
    );
  });

  it("maps the official example to the same order the REST API gives", async () => {
    const soap = await clientFor().getOrder(159, 50163);
    const rest = await restClient().getOrder(50163);
    expect(typedFields(soap)).toStrictEqual(typedFields(rest));
    expect(soap.orderInfo.orderNumber).toBe("O1231234");
    expect(soap.parcels).toHaveLength(2);
  });

  it("maps every demo order the same as REST, nulls and empty lists included", async () => {
    const client = clientFor();
    for (const orderId of [60_001, 60_004, 60_005, 60_008]) {
      expect(typedFields(await client.getOrder(159, orderId))).toStrictEqual(
        typedFields(await restClient().getOrder(orderId)),
      );
    }
  });

  it("reads two goods owners' orders through one integrator login", async () => {
    const client = clientFor();
    expect((await client.getOrder(159, 60_001)).goodsOwner.id).toBe(159);
    const other = await client.getOrder(160, 70_001);
    expect(other.goodsOwner.id).toBe(160);
    expect(typedFields(other)).toStrictEqual(typedFields(await restClient(160).getOrder(70_001)));
    // The order exists, but not for the goods owner asked about.
    await expect(client.getOrder(159, 70_001)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.getOrder(159, 999_999)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("writes waybill, tracking and file; REST reads and the write record see them", async () => {
    const client = clientFor();
    await client.setWaybill(160, 70_001, "WB-SOAP-1");
    await client.addTracking(160, 70_001, {
      waybill: "WB-SOAP-1",
      trackingUrl: "https://t.example/WB-SOAP-1",
    });
    await client.uploadOrderFile(
      160,
      { orderId: 70_001 },
      {
        fileName: "label.pdf",
        mimeType: "application/pdf",
        fileDataBase64: "JVBERi0=",
      },
    );
    await client.uploadOrderFile(
      160,
      { orderId: 70_001, orderNumber: "DEMO-160-0001" },
      {
        fileName: "label-2.pdf",
        mimeType: "application/pdf",
        fileDataBase64: "JVBERi0=",
      },
    );
    const order = await restClient(160).getOrder(70_001);
    expect(order.orderInfo.wayBill).toBe("WB-SOAP-1");
    expect(order.tracking).toContainEqual({
      trackingUrl: "https://t.example/WB-SOAP-1",
      waybill: "WB-SOAP-1",
      isReturn: false,
    });
    expect(simulator.state.files.get(70_001)?.map((file) => file.fileName)).toEqual([
      "label.pdf",
      "label-2.pdf",
    ]);
    expect(simulator.state.writes.map((w) => [w.operation, w.status, w.goodsOwnerId])).toEqual([
      ["UpdateOrder", 200, 160],
      ["UpdateOrder", 200, 160],
      ["UploadOrderFile", 200, 160],
      ["UploadOrderFile", 200, 160],
    ]);
    expect(JSON.stringify(simulator.state.writes)).not.toContain("automation-password");
    // Without the order number, the order was fetched once to learn it.
    expect(calls("GetOrdersByQuery")).toBe(1);
  });
});

describe("Automation client: failures", () => {
  it("fails permanently on a login fault, after re-reading the secret once", async () => {
    const credentials = vi.fn(async (_options?: CredentialsRequest) => ({
      username: "automation",
      password: "wrong-password",
    }));
    const error = await clientFor({ credentials })
      .getOrder(159, 50163)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({
      code: "ongoing-unauthorized",
      message: expect.stringContaining("password"),
    });
    expect(String((error as Error).message)).not.toContain("wrong-password");
    expect(credentials.mock.calls.map(([options]) => options?.forceFetch)).toEqual([undefined, true]);
  });

  it("picks up rotated credentials after a login fault", async () => {
    let password = "old-password";
    const client = clientFor({
      credentials: async (options) => {
        if (options?.forceFetch) password = "automation-password";
        return { username: "automation", password };
      },
    });
    expect((await client.getOrder(159, 50163)).orderInfo.orderId).toBe(50163);
  });

  it("throws NotFoundError when Ongoing refuses a write to an unknown order", async () => {
    await expect(clientFor().setWaybill(159, 999_999, "W")).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      clientFor().uploadOrderFile(
        159,
        { orderId: 1, orderNumber: "no-such-order" },
        {
          fileName: "a.pdf",
          mimeType: "application/pdf",
          fileDataBase64: "JVBERi0=",
        },
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("fails permanently on Success=false, a client fault or a 4xx", async () => {
    const client = clientFor();
    await expect(client.setWaybill(159, 60_001, "")).rejects.toMatchObject({
      name: "PermanentError",
      code: "ongoing-rejected",
      message: expect.stringContaining("The Waybill field is required."),
    });
    simulator.state.addFault({ soapFaultCode: "Client", message: "Server was unable to read request." });
    await expect(client.getOrder(159, 50163)).rejects.toMatchObject({ code: "ongoing-bad-request" });
    simulator.state.addFault({ status: 403 });
    await expect(client.getOrder(159, 50163)).rejects.toMatchObject({ code: "ongoing-forbidden" });
    expect(calls("GetOrdersByQuery")).toBe(2);
  });

  it("retries server faults, resets and time-outs, then succeeds", async () => {
    const client = clientFor({ timeoutMs: 300 });
    simulator.state.addFault({ status: 500, times: 2 });
    await client.getOrder(159, 50163);
    expect(calls("GetOrdersByQuery")).toBe(3);
    simulator.state.addFault({ reset: true, path: "UpdateOrder$" });
    await client.setWaybill(159, 60_001, "WB-R");
    expect(calls("UpdateOrder")).toBe(2);
    simulator.state.addFault({ status: 429, path: "UploadOrderFile$" });
    await client.uploadOrderFile(159, { orderId: 60_001, orderNumber: "DEMO-159-0001" }, file);
    expect(calls("UploadOrderFile")).toBe(2);
    expect(simulator.state.files.get(60_001)).toHaveLength(1);
  });
});

describe("Automation client: failures, retries and time", () => {
  it.each([
    ["a time-out", { afterWrite: true, delayMs: 1_000 }],
    ["a cut connection", { afterWrite: true, reset: true }],
    ["a server fault", { afterWrite: true, soapFaultCode: "Server" as const }],
  ])("does not repeat an upload or a tracking row after %s that may hide its success", async (_, fault) => {
    const client = clientFor({ timeoutMs: 300, maxAttempts: 4 });
    simulator.state.addFault({ ...fault, path: "UploadOrderFile$" });
    const upload = client.uploadOrderFile(159, { orderId: 60_001, orderNumber: "DEMO-159-0001" }, file);
    await expect(upload).rejects.toBeInstanceOf(OngoingWriteUnknownError);
    // Ongoing's failure, not the message's: it counts towards Ongoing's circuit breaker.
    await expect(upload).rejects.toMatchObject({
      name: "OngoingWriteUnknownError",
      code: "ongoing-write-unknown",
      dependency: "ongoing",
    });
    expect(calls("UploadOrderFile")).toBe(1);
    expect(await client.getOrderFiles(159, 60_001)).toEqual([
      { fileName: "l.pdf", mimeType: "application/pdf" },
    ]);

    simulator.state.addFault({ ...fault, path: "UpdateOrder$" });
    const tracking = client.addTracking(159, 60_001, { waybill: "W", trackingUrl: "https://t.example/W" });
    await expect(tracking).rejects.toBeInstanceOf(OngoingWriteUnknownError);
    expect(calls("UpdateOrder")).toBe(1);
    // The waybill is set, not added: repeating it is harmless, so it is retried as before.
    simulator.state.addFault({ ...fault, path: "UpdateOrder$" });
    await client.setWaybill(159, 60_001, "W");
    expect(calls("UpdateOrder")).toBe(3);
  });

  it("lists an order's files with GetFileList, none for an order without", async () => {
    const client = clientFor();
    expect(await client.getOrderFiles(159, 60_001)).toEqual([]);
    await client.uploadOrderFile(159, { orderId: 60_001 }, file);
    await client.uploadOrderFile(159, { orderId: 60_001 }, { ...file, fileName: "m.pdf" });
    expect((await client.getOrderFiles(159, 60_001)).map((listed) => listed.fileName)).toEqual([
      "l.pdf",
      "m.pdf",
    ]);
    // Another goods owner's login sees none of them.
    expect(await client.getOrderFiles(160, 60_001)).toEqual([]);
  });

  it("throws TransientError when attempts run out, with Retry-After when known", async () => {
    const client = clientFor({ maxAttempts: 3, timeoutMs: 300 });
    simulator.state.addFault({ soapFaultCode: "Server", times: 10 });
    await expect(client.getOrder(159, 50163)).rejects.toMatchObject({
      name: "TransientError",
      code: "ongoing-unavailable",
    });
    expect(calls("GetOrdersByQuery")).toBe(3);

    simulator.state.clearFaults();
    simulator.state.addFault({ status: 429, retryAfter: "120" });
    const throttled = await client.getOrder(159, 50163).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TransientError);
    expect(throttled).toMatchObject({ code: "ongoing-throttled", retryAfterMs: 120_000 });

    simulator.state.addFault({ delayMs: 1_000, times: 3 });
    await expect(client.setWaybill(159, 60_001, "W")).rejects.toMatchObject({ code: "ongoing-timeout" });
  });

  it("never starts an attempt without time left", async () => {
    const late = clientFor({ remainingTimeMs: () => 900 });
    await expect(late.getOrder(159, 50163)).rejects.toMatchObject({ code: "ongoing-no-time" });
    expect(calls("GetOrdersByQuery")).toBe(0);
  });

  it("names a missing endpoint as a permanent configuration error", async () => {
    const client = clientFor({ url: simulator.automationUrl.replace("Automation.asmx", "Nothing.asmx") });
    await expect(client.getOrder(159, 50163)).rejects.toMatchObject({ code: "ongoing-endpoint-missing" });
  });
});

describe("Automation client: metrics", () => {
  it("counts every SOAP call by operation and status class, with its latency, like the REST client", async () => {
    // What the file's earlier calls gathered goes first, unread.
    await captureEmf(() => dimensionedMetrics.publish());
    const emitted = await captureEmf(async () => {
      simulator.state.addFault({ status: 500 });
      await clientFor().getOrder(159, 50163);
      await clientFor().setWaybill(159, 60_001, "WB-M");
      // Written as the invocation ends, one line per operation and status class.
      dimensionedMetrics.publish();
    });
    const counted = emitted.filter((metric) => metric.OngoingApiCall === 1);
    // The SOAP action is the operation, so the dashboard's per-operation lines cover both APIs.
    expect(counted.map((m) => [m.operation, m.statusClass])).toEqual([
      ["GetOrdersByQuery", "5xx"],
      ["GetOrdersByQuery", "2xx"],
      ["UpdateOrder", "2xx"],
    ]);
    for (const metric of counted) {
      const directive = (
        metric._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> }
      ).CloudWatchMetrics[0];
      expect(directive?.Namespace).toBe("OngoingWebhooks");
      expect(directive?.Dimensions.flat()).toEqual(expect.arrayContaining(["operation", "statusClass"]));
    }
    expect(emitted.filter((metric) => typeof metric.OngoingApiLatency === "number")).toHaveLength(3);
  });
});
