/**
 * The local stack with goods owner 159 booked through nShift Delivery, as `LOCAL_NSHIFT_GOODS_OWNERS=159 npm start`
 * runs it: the template synthesized with that choice, the nShift simulator behind it, the credentials secret served
 * by the Secrets Manager stand-in. One booking through the webhook CLI, written back to the Ongoing simulator.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, nshiftContext, startLocalStack } from "../local/stack.ts";
import { synthesize } from "../local/synth.ts";
import { main as webhookCli } from "../scripts/webhook.ts";

let stack: LocalStack;
let outdir: string;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "local-stack-nshift-"));
  const assembly = await synthesize({ outdir, context: nshiftContext([159]) });
  stack = await startLocalStack({ freePorts: true, assemblyDir: assembly.dir, schedule: false });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

describe("the local stack with a goods owner on nShift", () => {
  it("books the order in the nShift simulator and writes waybill, parcel and label back", async () => {
    const code = await webhookCli([
      "transport-booking",
      "--order",
      "60012",
      "--url",
      stack.urls.ingress,
      "--token",
      stack.webhookToken,
    ]);
    expect(code).toBe(0);
    await stack.idle();

    const state = (await (await fetch(`${stack.urls.nshiftAdmin}/state`)).json()) as {
      printed: { reference: string; shipmentNo: string; parcels: { parcelNo: string }[] }[];
    };
    const printed = state.printed.filter((shipment) => shipment.reference === "159-60012");
    expect(printed).toHaveLength(1);
    const writes = (await (await fetch(`${stack.urls.ongoingAdmin}writes`)).json()) as {
      operation: string;
      path: string;
      status: number;
      body: Record<string, unknown>;
    }[];
    const toOrder = writes.filter((write) => write.path.startsWith("/orders/60012/") && write.status < 300);
    expect(toOrder).toContainEqual(
      expect.objectContaining({ operation: "patchWaybill", body: { waybill: printed[0]?.shipmentNo } }),
    );
    expect(toOrder).toContainEqual(
      expect.objectContaining({
        operation: "putParcel",
        body: expect.objectContaining({ parcelNumber: printed[0]?.parcels[0]?.parcelNo }),
      }),
    );
    expect(toOrder).toContainEqual(expect.objectContaining({ operation: "postOrderFile" }));
    expect((await stack.status()).queues.every((queue) => queue.deadLetters === 0)).toBe(true);
  });
});
