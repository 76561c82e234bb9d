/**
 * The local SQS answers as SQS does (fauxqs, patched: patches/fauxqs+2.3.1.patch): every character SQS accepts,
 * SQS's own refusal for the rest, and the query protocol API Gateway's SQS integration speaks.
 */
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startSqs } from "./emulators.ts";

let sqsEmulator: Emulator;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  sqsEmulator = await startSqs();
  sqs = new SQSClient({
    region: "eu-west-1",
    endpoint: sqsEmulator.endpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    useQueueUrlAsEndpoint: false,
  });
  queueUrl = String((await sqs.send(new CreateQueueCommand({ QueueName: "characters" }))).QueueUrl);
});

afterAll(async () => {
  sqs?.destroy();
  await sqsEmulator?.stop();
});

const receiveAll = async () =>
  (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }))).Messages ?? [];

const queryCall = (form: Record<string, string>, accept = "application/json") =>
  fetch(`${sqsEmulator.endpoint}/000000000000/characters`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept },
    body: new URLSearchParams({ Version: "2012-11-05", ...form }).toString(),
  });

describe("the local SQS", () => {
  it("accepts and returns intact every character SQS allows, from every plane", async () => {
    const body = `tab\t nl\n cr\r é ß ∑ \uD7FF \uE000 \uFFFD 😀 👩🏽‍🚀 𝄞 \u{10FFFF} e\u0301 שלום مرحبا`;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    expect((await receiveAll()).map((message) => message.Body)).toEqual([body]);
  });

  it.each([
    ["\uFFFE", "FFFE"],
    ["\uFFFF", "FFFF"],
    ["\u0001", "1"],
    ["\u001B", "1B"],
    ["\uD800", "D800"],
  ])("refuses %j with SQS's own error", async (character, hex) => {
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `a${character}b` })),
    ).rejects.toMatchObject({
      name: "AWS.SimpleQueueService.InvalidMessageContents",
      message: `Invalid binary character '#x${hex}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].`,
    });
  });

  it("speaks the query protocol on a queue's path, as API Gateway's SQS integration calls it", async () => {
    const answer = await queryCall({
      Action: "SendMessage",
      MessageBody: '{"name":"Åsa 😀"}',
      "MessageAttribute.1.Name": "eventType",
      "MessageAttribute.1.Value.DataType": "String",
      "MessageAttribute.1.Value.StringValue": "order-shipped",
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as {
      SendMessageResponse: { SendMessageResult: { MessageId: string } };
    };
    expect(body.SendMessageResponse.SendMessageResult.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const [message] = await receiveAll();
    expect(message?.Body).toBe('{"name":"Åsa 😀"}');
  });

  it("answers an unknown action as SQS does: 400 InvalidAction", async () => {
    const answer = await queryCall({ Action: "OngoingWebhooksBodyTooLarge" });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({
      Error: {
        Code: "InvalidAction",
        Message: "The action OngoingWebhooksBodyTooLarge is not valid for this endpoint.",
        Type: "Sender",
      },
    });
    const xml = await queryCall({ Action: "OngoingWebhooksBodyTooLarge" }, "text/xml");
    expect(xml.status).toBe(400);
    expect(await xml.text()).toContain("<Code>InvalidAction</Code>");
  });

  it("answers a refused character in the query protocol with SQS's error", async () => {
    const answer = await queryCall({ Action: "SendMessage", MessageBody: "\uFFFF" });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ Error: { Code: "InvalidMessageContents" } });
  });
});
