import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { child, parseEnvelope, text } from "../../functions/shared/ongoing/automation-xml.ts";
import { useOngoingSimulator } from "../../test/support/env.ts";

const simulator = useOngoingSimulator({ warehouse: "acme", resetEach: true });

interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  request?: { body?: { raw?: string } };
}

/** A request body from Ongoing's official Postman collection, its variables filled in. */
function officialRequest(name: string, variables: Record<string, string>): string {
  const collection = JSON.parse(
    readFileSync(
      new URL("./examples/official-Automation-API.postman_collection.json", import.meta.url),
      "utf8",
    ).replace(/^\uFEFF/, ""),
  ) as { item: PostmanItem[] };
  const find = (items: PostmanItem[]): PostmanItem | undefined =>
    items.map((item) => (item.name === name ? item : find(item.item ?? []))).find(Boolean);
  const raw = find(collection.item)?.request?.body?.raw ?? "";
  return raw.replace(/\{\{(\w+)\}\}/g, (_, key: string) => variables[key] ?? "");
}

const login = { Username: "automation", Password: "automation-password" };

async function soap(action: string, body: string) {
  const response = await fetch(simulator.automationUrl, {
    method: "POST",
    headers: {
      "content-type": "text/xml;charset=utf-8",
      soapaction: `"http://ongoingsystems.se/Automation/${action}"`,
    },
    body,
  });
  return { status: response.status, body: parseEnvelope(await response.text()) };
}

const rest = async (path: string) =>
  (await fetch(new URL(path, simulator.baseUrl), {
    headers: { authorization: `Basic ${Buffer.from("demo:demo-password").toString("base64")}` },
  }).then((r) => r.json())) as { orderInfo: { wayBill: string | null } };

describe("Ongoing simulator: SOAP Automation API", () => {
  it("answers Ongoing's official GetOrdersByQuery request", async () => {
    const request = officialRequest("Get orders by query", login).replace(
      "<int>123</int>",
      "<int>50163</int>",
    );
    const { status, body } = await soap("GetOrdersByQuery", request);
    expect(status).toBe(200);
    if (!("element" in body)) throw new Error("fault");
    expect(body.element).toBe("GetOrdersByQueryResponse");
    const order = child(child(child(body.content, "GetOrdersByQueryResult"), "Orders"), "Order");
    expect(text(child(order, "OrderInfo")?.OrderId)).toBe("50163");
    expect(text(child(order, "GoodsOwnerInfo")?.Id)).toBe("159");
  });

  it("applies Ongoing's official UpdateOrder and UploadOrderFile requests to the same store as REST", async () => {
    const update = officialRequest("Update order", login).replace(
      "<OrderId>123</OrderId>",
      "<OrderId>60001</OrderId>",
    );
    expect((await soap("UpdateOrder", update)).status).toBe(200);
    expect((await rest("orders/60001")).orderInfo.wayBill).toBe("New waybill");

    const upload = officialRequest("Upload a file to an order", {
      ...login,
      GoodsOwnerId: "159",
      GoodsOwnerOrderNumber: "DEMO-159-0001",
    });
    const { body } = await soap("UploadOrderFile", upload);
    expect(body).toMatchObject({ content: { UploadOrderFileResult: { Success: "true" } } });
    expect(simulator.state.files.get(60_001)).toMatchObject([
      { fileName: "TestFile.txt", mimeType: "text/plain" },
    ]);
    expect(simulator.state.writes.map((w) => [w.operation, w.path, w.status, w.goodsOwnerId])).toEqual([
      ["UpdateOrder", "/Automation.asmx", 200, 159],
      ["UploadOrderFile", "/Automation.asmx", 200, 159],
    ]);
    expect(simulator.state.writes[0]?.body).toEqual({
      OrderId: "60001",
      UpdateOrderWaybill: { Waybill: "New waybill" },
    });
    expect(JSON.stringify(simulator.state.writes)).not.toContain("automation-password");
    expect(simulator.state.callCounts()).toEqual({ UpdateOrder: 1, UploadOrderFile: 1, getOrder: 1 });
  });

  it("refuses a write to an order the login cannot see with Success=false", async () => {
    simulator.state.putOrder({ goodsOwner: { id: 999 }, orderInfo: { orderId: 90_001 } });
    const update = officialRequest("Update order", login).replace(
      "<OrderId>123</OrderId>",
      "<OrderId>90001</OrderId>",
    );
    const { status, body } = await soap("UpdateOrder", update);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      content: { UpdateOrderResult: { Success: "false", Message: "Order with id 90001 was not found." } },
    });
    expect(simulator.state.writes[0]).toMatchObject({ operation: "UpdateOrder", status: 404 });
  });

  it("answers a bad login, an unknown action and a non-SOAP body with SOAP faults", async () => {
    const denied = await soap(
      "GetOrdersByQuery",
      officialRequest("Get orders by query", { Username: "x", Password: "y" }),
    );
    expect(denied).toEqual({
      status: 500,
      body: { fault: { code: "Server", message: "Invalid username or password." } },
    });
    const unknown = await soap("GetUsers", officialRequest("Get users", login));
    expect(unknown).toMatchObject({ status: 500, body: { fault: { code: "Client" } } });
    const notSoap = await soap("UpdateOrder", "{}");
    expect(notSoap).toMatchObject({ status: 500, body: { fault: { code: "Client" } } });
  });

  it("injects faults per SOAP operation", async () => {
    simulator.state.addFault({ path: "/Automation.asmx/UpdateOrder$", status: 500, message: "Deadlock" });
    const query = officialRequest("Get orders by query", login);
    expect((await soap("GetOrdersByQuery", query)).status).toBe(200);
    const update = officialRequest("Update order", login).replace(
      "<OrderId>123</OrderId>",
      "<OrderId>60001</OrderId>",
    );
    expect(await soap("UpdateOrder", update)).toEqual({
      status: 500,
      body: { fault: { code: "Server", message: "Deadlock" } },
    });
    expect((await rest("orders/60001")).orderInfo.wayBill).not.toBe("New waybill");
  });
});
