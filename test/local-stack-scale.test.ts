/**
 * The local stack (as `npm start` runs it) with a production-sized configuration: 1,000 goods owners, each with
 * its own secret and mail branding. The functions read the goods owners from the file bundled with them, so a
 * webhook of one of them is mailed with that goods owner's own sender; SES's events about that mail (the local
 * stand-in's, through the template's EventBridge rule) end up on the mail's record.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { StoredMail } from "../local/emulators.ts";
import { type LocalStack, startLocalStack } from "../local/stack.ts";
import { synthesize } from "../local/synth.ts";
import { scaleContext } from "./support/goods-owners.ts";

let stack: LocalStack;
let outdir: string;

const mails = async () =>
  ((await (await fetch(`${stack.urls.ses}/store`)).json()) as { emails: StoredMail[] }).emails;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "local-stack-scale-"));
  const assembly = await synthesize({ outdir, context: scaleContext(1000) });
  stack = await startLocalStack({ freePorts: true, assemblyDir: assembly.dir, schedule: false });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

describe("the local stack with 1,000 goods owners", () => {
  it("mails an order of one of them with that goods owner's own sender, its settings read from the bundle", async () => {
    const response = await fetch(`${stack.urls.ingress}/webhooks/order-shipped-email`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-auth-token": stack.webhookToken },
      body: JSON.stringify({ webhookEventId: 1, goodsOwnerId: 159, orderId: 50163 }),
    });
    expect(response.status).toBe(202);
    await stack.idle();
    const mail = (await mails()).find((candidate) => candidate.destination.to.includes("a@b.com"));
    expect(mail?.from).toBe("goods-owner-159@example.com");
    expect(mail?.subject).toContain("Brand number 159");
    const status = await stack.status();
    expect(status.queues.every((queue) => queue.deadLetters === 0)).toBe(true);

    // SES's Send and Delivery events, through the EventBridge rule to the mail-events function.
    const dynamodb = new DynamoDBClient({
      region: "eu-west-1",
      endpoint: stack.urls.dynamodb,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const record = async () =>
      (
        await dynamodb.send(
          new GetItemCommand({ TableName: stack.tables.state, Key: { id: { S: "shipped-mail#159#50163" } } }),
        )
      ).Item;
    await vi.waitFor(async () => expect((await record())?.sesDelivery).toBeDefined(), { timeout: 10_000 });
    const item = await record();
    expect(item?.step?.S).toBe("sent");
    expect(item?.sesSend?.M?.messageId?.S).toBe(mail?.messageId);
    expect(item?.sesDelivery?.M?.messageId?.S).toBe(mail?.messageId);
    dynamodb.destroy();
  });
});
