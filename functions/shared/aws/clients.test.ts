/**
 * The shared clients reach local services through the SDK's own service-specific endpoint settings
 * (`AWS_ENDPOINT_URL_<SERVICE>`), with no endpoint code of ours: each call here goes over the wire to a real
 * local implementation. The SQS client sends to the configured endpoint whatever host the queue URL names.
 */
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { SendEmailCommand } from "@aws-sdk/client-ses";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startDynamoDb, startSes, startSqs } from "../../../local/emulators.ts";
import { startSecretsManager } from "../../../simulators/secrets-manager/server.ts";

let servers: Emulator[] = [];
let ses: Awaited<ReturnType<typeof startSes>>;

beforeAll(async () => {
  const dynamodb = await startDynamoDb();
  const sqs = await startSqs();
  ses = await startSes();
  const secrets = await startSecretsManager({ "some/secret": "s3cret" });
  servers = [dynamodb, sqs, ses, secrets];
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
  vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb.endpoint);
  vi.stubEnv("AWS_ENDPOINT_URL_SQS", sqs.endpoint);
  vi.stubEnv("AWS_ENDPOINT_URL_SES", ses.endpoint);
  vi.stubEnv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets.endpoint);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  for (const server of servers) await server.stop();
});

describe("the shared AWS clients", () => {
  it("DynamoDB answers from AWS_ENDPOINT_URL_DYNAMODB", async () => {
    const { dynamoDbClient } = await import("./dynamodb.ts");
    expect((await dynamoDbClient.send(new ListTablesCommand({}))).TableNames).toEqual([]);
  });

  it("SQS answers from AWS_ENDPOINT_URL_SQS, whatever host the queue URL names", async () => {
    const { sqsClient } = await import("./sqs.ts");
    const { QueueUrl } = await sqsClient.send(new CreateQueueCommand({ QueueName: "endpoint-check" }));
    // A deployed queue URL names AWS's host; the message must still go to the configured endpoint.
    const foreignUrl = String(QueueUrl).replace(/^http:\/\/[^/]+/, "https://unreachable.invalid");
    await sqsClient.send(new SendMessageCommand({ QueueUrl: foreignUrl, MessageBody: "hej 😀" }));
    const { Messages = [] } = await sqsClient.send(new ReceiveMessageCommand({ QueueUrl: foreignUrl }));
    expect(Messages.map((message) => message.Body)).toEqual(["hej 😀"]);
  });

  it("SES answers from AWS_ENDPOINT_URL_SES", async () => {
    const { sesClient } = await import("./ses.ts");
    await sesClient.send(
      new SendEmailCommand({
        Source: "shipping@example.com",
        Destination: { ToAddresses: ["a@b.com"] },
        Message: { Subject: { Data: "Skickad 📦" }, Body: { Text: { Data: "Hej" } } },
      }),
    );
    expect((await ses.mails()).map((mail) => mail.subject)).toEqual(["Skickad 📦"]);
  });

  it("Secrets Manager answers from AWS_ENDPOINT_URL_SECRETS_MANAGER", async () => {
    const { secretsManagerClient } = await import("./secrets-manager.ts");
    const answer = await secretsManagerClient.send(new GetSecretValueCommand({ SecretId: "some/secret" }));
    expect(answer.SecretString).toBe("s3cret");
  });
});
