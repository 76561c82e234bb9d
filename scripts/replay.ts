/**
 * Sends webhooks from the operator's trail through their normal queue again, as the ingress sent them (same
 * event id, so the replay joins the same journey), with the pipeline's and the use-cases' dedupe rules intact:
 * what was done stays done once (docs/trail.md says what replay means per use-case).
 *
 *   npm run replay -- --event <id>                               one webhook
 *   npm run replay -- --order <id> | --article <id> [--goods-owner <id>]   every webhook about it
 *   npm run replay -- --since <t> [--until <t>]                  every webhook received in that time (t: 2h, ISO)
 *   add --dead-lettered to send only those whose journey ended dead-lettered; --dry-run to only list them
 *
 * Locally it finds the table and queues from `/_local/status`; on AWS pass `--outputs cdk-outputs.json`.
 */
import { parseArgs } from "node:util";
import { type MessageAttributeValue, SendMessageCommand } from "@aws-sdk/client-sqs";
import { runWhenMain } from "../devkit/cli.ts";
import { messageAttributes, type UseCase, useCases } from "../functions/shared/contract/routes.ts";
import type { TrailRecord } from "../functions/shared/trail/model.ts";
import { trailReceivedBetween } from "../functions/shared/trail/reader.ts";
import { parseTime, selectRecords, type TrailSource, trailSource } from "./trace.ts";

export type ReplayResult =
  | { readonly eventId: string; readonly status: "sent"; readonly messageId: string }
  | { readonly eventId: string; readonly status: "would-send" }
  | { readonly eventId: string; readonly status: "not-replayable"; readonly reason: string };

/** Sends each record's kept body to its use-case's queue with the ingress's attributes and `replayedAt`. */
export async function replay(
  source: TrailSource,
  records: readonly TrailRecord[],
  options: { dryRun?: boolean } = {},
): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for (const record of records) {
    const { eventId } = record;
    const useCase = useCases.find((candidate) => candidate === record.useCase) as UseCase | undefined;
    if (!useCase) {
      results.push({ eventId, status: "not-replayable", reason: `no webhook use-case ${record.useCase}` });
    } else if (record.body === undefined) {
      const reason = record.bodyOmittedBytes
        ? `its body (${record.bodyOmittedBytes} bytes) was too large to keep`
        : "no body was kept (it did not parse)";
      results.push({ eventId, status: "not-replayable", reason });
    } else if (options.dryRun) {
      results.push({ eventId, status: "would-send" });
    } else {
      const attributes: Record<string, [type: "String" | "Number", value: string]> = {
        [messageAttributes.eventType]: ["String", record.eventType],
        [messageAttributes.requestId]: ["String", eventId],
        [messageAttributes.receivedAt]: ["Number", String(Date.parse(record.receivedAt))],
        [messageAttributes.replayedAt]: ["Number", String(Date.now())],
      };
      const sent = await source.sqs.send(
        new SendMessageCommand({
          QueueUrl: source.queueUrlOf(useCase),
          MessageBody: record.body,
          MessageAttributes: Object.fromEntries(
            Object.entries(attributes).map(
              ([name, [DataType, StringValue]]): [string, MessageAttributeValue] => [
                name,
                { DataType, StringValue },
              ],
            ),
          ),
        }),
      );
      results.push({ eventId, status: "sent", messageId: sent.MessageId ?? "" });
    }
  }
  return results;
}

const usage = `usage: npm run replay -- --event <id> | --order <id> | --article <id> [--goods-owner <id>]
       npm run replay -- --since <t> [--until <t>]          (t: 30m, 2h, 1d or an ISO 8601 time)
options: --dead-lettered (only journeys that ended dead-lettered), --dry-run, --outputs cdk-outputs.json, --url`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      event: { type: "string" },
      order: { type: "string" },
      article: { type: "string" },
      "goods-owner": { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      "dead-lettered": { type: "boolean" },
      "dry-run": { type: "boolean" },
      outputs: { type: "string" },
      url: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const chosen = [values.event, values.order, values.article, values.since].filter(Boolean).length;
  if (values.help || chosen !== 1) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const source = await trailSource(values);
  if (!source) return 1;
  try {
    const now = Date.now();
    const selected = values.since
      ? await trailReceivedBetween(
          source.table,
          parseTime(values.since, now),
          values.until ? parseTime(values.until, now) : now,
        )
      : await selectRecords(source.table, { ...values, goodsOwner: values["goods-owner"] });
    const records = values["dead-lettered"]
      ? selected.filter((record) => record.outcome === "dead-lettered")
      : selected;
    const results = await replay(source, records, { dryRun: values["dry-run"] ?? false });
    for (const result of results) {
      if (result.status === "sent") console.log(`sent ${result.eventId} → message ${result.messageId}`);
      else if (result.status === "would-send") console.log(`would send ${result.eventId}`);
      else console.log(`cannot replay ${result.eventId}: ${result.reason}`);
    }
    const sent = results.filter((result) => result.status !== "not-replayable").length;
    console.log(
      `${sent} of ${records.length} webhook(s) ${values["dry-run"] ? "would be replayed" : "replayed"}`,
    );
    return results.some((result) => result.status === "not-replayable") ? 1 : 0;
  } finally {
    source.close();
  }
}

runWhenMain(import.meta, main);
