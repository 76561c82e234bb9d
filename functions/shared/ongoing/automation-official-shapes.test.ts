/**
 * The SOAP requests our Automation client sends, against Ongoing's official example requests
 * (`simulators/ongoing/examples/official-Automation-API.postman_collection.json`, Ongoing's Postman collection):
 * same SOAPAction, same body element in the same namespace, and the same element tree, element for element.
 * Where we send more than the example shows, the extra elements are exactly the documented ones named here.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, listen, readBody } from "../../../simulators/http.ts";
import { type AutomationClient, createAutomationClient } from "./automation.ts";
import { automationNamespace, buildEnvelope, parseEnvelope, type XmlNode } from "./automation-xml.ts";

interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  request?: { header?: Array<{ key: string; value: string }>; body?: { raw?: string } };
}

function official(name: string): { soapAction: string; body: string } {
  const collection = JSON.parse(
    readFileSync(
      new URL(
        "../../../simulators/ongoing/examples/official-Automation-API.postman_collection.json",
        import.meta.url,
      ),
      "utf8",
    ).replace(/^\uFEFF/, ""),
  ) as { item: PostmanItem[] };
  const find = (items: PostmanItem[]): PostmanItem | undefined =>
    items.map((item) => (item.name === name ? item : find(item.item ?? []))).find(Boolean);
  const request = find(collection.item)?.request;
  return {
    soapAction: request?.header?.find((header) => header.key === "SOAPAction")?.value ?? "",
    body: request?.body?.raw ?? "",
  };
}

/** The element tree of an XML node: element names and nesting, values and attributes left out. */
function shape(node: XmlNode | undefined): unknown {
  if (node === undefined || typeof node === "string") return "text";
  if (Array.isArray(node)) return [shape(node[0])];
  return Object.fromEntries(
    Object.entries(node)
      .filter(([name]) => !name.startsWith("@_"))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => [name, shape(value)]),
  );
}

/** Paths of the elements in `ours` that `theirs` lacks. */
function extra(ours: unknown, theirs: unknown, path = ""): string[] {
  if (typeof ours !== "object" || ours === null || Array.isArray(ours)) return [];
  return Object.entries(ours).flatMap(([name, value]) => {
    const other = (theirs as Record<string, unknown> | undefined)?.[name];
    const here = path ? `${path}.${name}` : name;
    return other === undefined ? [here] : extra(value, other, here);
  });
}

const captured: Array<{ soapAction: string; body: string }> = [];
let server: ReturnType<typeof createServer>;
let client: AutomationClient;

beforeAll(async () => {
  server = createServer((request, response) => {
    void readBody(request).then((body) => {
      captured.push({ soapAction: String(request.headers.soapaction), body });
      const parsed = parseEnvelope(body);
      const operation = "element" in parsed ? parsed.element : "Unknown";
      response.writeHead(200, { "content-type": "text/xml; charset=utf-8" });
      response.end(
        buildEnvelope(`${operation}Response`, {
          [`${operation}Result`]: { Success: "true", Message: "" },
        }),
      );
    });
  });
  const port = await listen(server, {});
  client = createAutomationClient({
    url: `http://127.0.0.1:${port}/demo/Automation.asmx`,
    credentials: async () => ({ username: "u", password: "p" }),
    timeoutMs: 2_000,
  });
});
afterAll(() => closeServer(server));

/** Our request for a call, and Ongoing's example for it, compared; returns the elements we add. */
async function compare(example: string, call: () => Promise<void>): Promise<string[]> {
  captured.length = 0;
  await call();
  const [ours] = captured;
  const theirs = official(example);
  expect(ours?.soapAction).toBe(theirs.soapAction);
  const ourBody = parseEnvelope(ours?.body ?? "");
  const theirBody = parseEnvelope(theirs.body);
  if (!("element" in ourBody) || !("element" in theirBody)) throw new Error("not a request");
  expect(ourBody.element).toBe(theirBody.element);
  expect(ours?.body).toContain(`<${ourBody.element} xmlns="${automationNamespace}">`);
  const ourShape = shape(ourBody.content);
  const theirShape = shape(theirBody.content);
  // Everything in Ongoing's example is in ours, in the same place.
  expect(extra(theirShape, ourShape)).toEqual([]);
  return extra(ourShape, theirShape);
}

describe("our SOAP requests against Ongoing's official example requests", () => {
  it("UpdateOrder with UpdateOrderWaybill: exactly the example's elements", async () => {
    expect(await compare("Update order", () => client.setWaybill(159, 123, "New waybill"))).toEqual([]);
  });

  it("UploadOrderFile: the example's elements, plus the documented File.FileWillBeDeletedAt", async () => {
    const upload = () =>
      client.uploadOrderFile(
        159,
        { orderId: 123, orderNumber: "O123" },
        {
          fileName: "TestFile.txt",
          mimeType: "text/plain",
          fileDataBase64: "VGVzdGluZyAxMjM=",
          willBeDeletedAt: new Date("2027-01-01T00:00:00Z"),
        },
      );
    expect(await compare("Upload a file to an order", upload)).toEqual([
      "OrderFile.File.FileWillBeDeletedAt",
    ]);
  });

  it("CreatePrintJob: exactly the example's elements", async () => {
    const print = () =>
      client.createPrintJob(45, {
        reportId: 47,
        idsToPrint: [10032, 10033],
        printAsUser: { userName: "WarehouseWorker1" },
        printAsComputer: { computerName: "PackTable1" },
      });
    expect(await compare("Create print job", print)).toEqual([]);
    expect(parseEnvelope(captured[0]?.body ?? "")).toMatchObject({
      content: {
        PrintJob: {
          ReportId: "47",
          IdsToPrint: { int: ["10032", "10033"] },
          PrintAsUser: { UserName: "WarehouseWorker1" },
          PrintAsComputer: { ComputerName: "PackTable1" },
          PrintAsGoodsOwner: { GoodsOwnerId: "45" },
        },
      },
    });
  });

  it("UpdateOrder's other elements sit beside UpdateOrderWaybill under Order, as Ongoing documents them", async () => {
    const fields = () =>
      client.updateOrderFields(159, 123, {
        transporterOrderNumber: "TON-1",
        freightWeightKg: 2.5,
        freightPrice: 99.5,
        returnWaybill: "RET-1",
      });
    // The example shows one element under Order; ours set the others the UpdateOrder page lists.
    captured.length = 0;
    await fields();
    const body = parseEnvelope(captured[0]?.body ?? "");
    expect(body).toMatchObject({
      element: "UpdateOrder",
      content: {
        // `Order` reads as a list wherever it appears (the parser's list items).
        Order: [
          {
            OrderId: "123",
            UpdateOrderTransporterOrderNumber: { TransporterOrderNumber: "TON-1" },
            UpdateOrderTransporterFreightWeight: { TransporterFreightWeight: "2.5" },
            UpdateOrderFreightPrice: { FreightPrice: "99.5" },
            UpdateOrderReturnWaybill: { ReturnWaybill: "RET-1" },
          },
        ],
      },
    });
    expect(captured[0]?.soapAction).toBe(official("Update order").soapAction);
  });
});
