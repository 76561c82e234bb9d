/**
 * Moves a use-case's dead-lettered webhooks back to its queue, printing what it moved.
 *
 *   npm run redrive -- <use-case> [--dry-run]                          the local stack (queue URLs from /_local/status)
 *   npm run redrive -- <use-case> --outputs cdk-outputs.json [--dry-run]   a deployed stack (`cdk deploy --outputs-file`)
 *
 * Locally it receives from the dead-letter queue and sends each message to the queue with its body and
 * attributes, minus the attributes the pipeline added when it dead-lettered it. On AWS it starts SQS's own
 * StartMessageMoveTask (the console's "redrive"), which keeps messages exactly as they are.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SQSClient, StartMessageMoveTaskCommand } from "@aws-sdk/client-sqs";
import { localClientConfig, localStackStatus, pascal, runWhenMain } from "../devkit/cli.ts";
import {
  approximateCount,
  failureAttributes,
  type MovedMessage,
  queueArn,
  redriveByCopy,
} from "../devkit/redrive.ts";
import { type Consumer, consumers } from "../functions/shared/contract/consumers.ts";
import { localDefaults } from "../local/settings.ts";

export { failureAttributes, type MovedMessage, redriveByCopy };
/** Queue URLs of a deployed stack from `cdk deploy --outputs-file` (outputs QueueUrl<UseCase>, DeadLetterQueueUrl<UseCase>). */
export function queueUrlsFromOutputs(
  file: string,
  useCase: Consumer,
): { queueUrl: string; deadLetterUrl: string } {
  const stacks = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string>>;
  for (const outputs of Object.values(stacks)) {
    const queueUrl = outputs[`QueueUrl${pascal(useCase)}`];
    const deadLetterUrl = outputs[`DeadLetterQueueUrl${pascal(useCase)}`];
    if (queueUrl && deadLetterUrl) return { queueUrl, deadLetterUrl };
  }
  throw new Error(`${file} has no QueueUrl${pascal(useCase)}/DeadLetterQueueUrl${pascal(useCase)} outputs`);
}

const usage = `usage: npm run redrive -- <use-case> [--dry-run] [--outputs cdk-outputs.json]
use-cases: ${consumers.join(", ")} (article-reconcile: the reconcile's units, which continue from their place)`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean" },
      outputs: { type: "string" },
      url: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const useCase = consumers.find((candidate) => candidate === positionals[0]);
  if (values.help || !useCase) {
    console.error(values.help ? usage : `unknown use-case "${positionals[0] ?? ""}"\n${usage}`);
    return values.help ? 0 : 2;
  }
  const dryRun = values["dry-run"] ?? false;

  if (values.outputs) {
    const { queueUrl, deadLetterUrl } = queueUrlsFromOutputs(values.outputs, useCase);
    const sqs = new SQSClient({});
    const count = await approximateCount(sqs, deadLetterUrl);
    if (dryRun) {
      console.log(`${useCase}: ${count} message(s) on ${deadLetterUrl} would move back to ${queueUrl}`);
      return 0;
    }
    const task = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: await queueArn(sqs, deadLetterUrl),
        DestinationArn: await queueArn(sqs, queueUrl),
      }),
    );
    console.log(`${useCase}: moving ~${count} message(s) back to ${queueUrl} (move task ${task.TaskHandle})`);
    return 0;
  }

  const ingressUrl = values.url ?? localDefaults(process.env).ingressUrl;
  const status = await localStackStatus(ingressUrl);
  if (!status) return 1;
  const queue = status.queues.find((candidate) => candidate.useCase === useCase);
  if (!queue) throw new Error(`the local stack has no ${useCase} queue`);
  const sqs = new SQSClient(localClientConfig(status.endpoints.sqs));
  const moved = await redriveByCopy({ sqs, queueUrl: queue.url, deadLetterUrl: queue.deadLetterUrl, dryRun });
  for (const message of moved) {
    console.log(
      `${dryRun ? "would move" : "moved"} ${message.messageId}${message.newMessageId ? ` → ${message.newMessageId}` : ""}` +
        (message.failureReason ? `  (dead-lettered: ${message.failureReason})` : ""),
    );
  }
  console.log(
    `${useCase}: ${moved.length} message(s) ${dryRun ? "would be moved" : "moved"} back to its queue`,
  );
  sqs.destroy();
  return 0;
}

runWhenMain(import.meta, main);
