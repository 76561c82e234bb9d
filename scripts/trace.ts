/**
 * Prints a webhook's journey from the operator's trail (docs/trail.md), in order, with times.
 *
 *   npm run trace -- --order <id> [--goods-owner <id>]     every webhook about an order
 *   npm run trace -- --article <id> [--goods-owner <id>]   every webhook about an article
 *   npm run trace -- --event <id>                          one webhook, by its event id (the API request id)
 *   npm run trace -- --failed [--since 1h]                 what failed (transient or dead-lettered) and why
 *
 * Locally it reads the table and endpoint from `/_local/status`; on AWS pass `--outputs cdk-outputs.json`
 * (`cdk deploy --outputs-file`). `--json` prints the records as JSON.
 */
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { localClientConfig, localStackStatus, pascal, runWhenMain, stackOutput } from "../devkit/cli.ts";
import type { UseCase } from "../functions/shared/contract/routes.ts";
import { articleSubject, orderSubject, type TrailRecord } from "../functions/shared/trail/model.ts";
import {
  type TrailTable,
  trailByEventId,
  trailBySubject,
  trailFailedSince,
  trailTableOf,
} from "../functions/shared/trail/reader.ts";
import { localDefaults } from "../local/settings.ts";

/** Where the trail and the queues are: the local stack's, or a deployed stack's. */
export interface TrailSource {
  readonly table: TrailTable;
  readonly sqs: SQSClient;
  queueUrlOf(useCase: UseCase): string;
  close(): void;
}

/** The local stack's trail (from `/_local/status` at `url`), or a deployed stack's (from its outputs file). */
export async function trailSource(options: {
  outputs?: string;
  url?: string;
}): Promise<TrailSource | undefined> {
  if (options.outputs) {
    const file = options.outputs;
    const dynamo = new DynamoDBClient({});
    const sqs = new SQSClient({});
    return {
      table: trailTableOf(dynamo, stackOutput(file, "TrailTableName")),
      sqs,
      queueUrlOf: (useCase) => stackOutput(file, `QueueUrl${pascal(useCase)}`),
      close: () => {
        dynamo.destroy();
        sqs.destroy();
      },
    };
  }
  const status = await localStackStatus(options.url ?? localDefaults(process.env).ingressUrl);
  if (!status) return undefined;
  const trailTable = status.tables.trail;
  if (!trailTable) throw new Error("the local stack has no trail table");
  const dynamo = new DynamoDBClient(localClientConfig(status.endpoints.dynamodb));
  const sqs = new SQSClient(localClientConfig(status.endpoints.sqs));
  return {
    table: trailTableOf(dynamo, trailTable),
    sqs,
    queueUrlOf(useCase) {
      const queue = status.queues.find((candidate) => candidate.useCase === useCase);
      if (!queue) throw new Error(`the local stack has no ${useCase} queue`);
      return queue.url;
    },
    close: () => {
      dynamo.destroy();
      sqs.destroy();
    },
  };
}

/** `90s`, `30m`, `1h`, `2d` before now, or an ISO 8601 time: epoch ms. */
export function parseTime(value: string, nowMs = Date.now()): number {
  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (relative) {
    const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as "s" | "m" | "h" | "d"];
    return nowMs - Number(relative[1]) * unitMs;
  }
  const absolute = Date.parse(value);
  if (Number.isNaN(absolute)) throw new Error(`not a time: "${value}" (use 30m, 1h, 2d or an ISO 8601 time)`);
  return absolute;
}

/** The trail records a trace or replay selects (by event, order, article, or failure), oldest first. */
export async function selectRecords(
  table: TrailTable,
  selection: { event?: string; order?: string; article?: string; goodsOwner?: string },
): Promise<TrailRecord[]> {
  if (selection.event) {
    const record = await trailByEventId(table, selection.event);
    return record ? [record] : [];
  }
  const subject = selection.order
    ? orderSubject(selection.order)
    : selection.article
      ? articleSubject(selection.article)
      : undefined;
  if (!subject) throw new Error("say which: --event, --order or --article");
  const records = await trailBySubject(table, subject);
  const goodsOwner = selection.goodsOwner;
  return goodsOwner ? records.filter((record) => String(record.goodsOwnerId) === goodsOwner) : records;
}

/** One webhook's journey as lines of text. */
export function formatJourney(record: TrailRecord): string[] {
  const owner = record.goodsOwnerId === undefined ? "" : ` goods owner ${record.goodsOwnerId}`;
  const lines = [
    `${record.receivedAt}  ${record.route}  event ${record.eventId}  ${record.subject ?? "(no subject)"}${owner}`,
    `  received   ${record.receivedAt}`,
  ];
  for (const attempt of record.attempts) {
    const detail = [attempt.code, attempt.reason].filter(Boolean).join(": ");
    const receive = attempt.receive ? ` (receive ${attempt.receive}${attempt.replay ? ", replay" : ""})` : "";
    lines.push(`  ${attempt.outcome.padEnd(13)}${attempt.at}${receive}${detail ? `  ${detail}` : ""}`);
  }
  for (const [name, value] of Object.entries(record.effect ?? {}))
    lines.push(`  effect     ${name} = ${value}`);
  lines.push(`  → ${record.outcome}${record.reason ? `: ${record.reason}` : ""}`);
  return lines;
}

const usage = `usage: npm run trace -- --order <id> | --article <id> | --event <id> [--goods-owner <id>]
       npm run trace -- --failed [--since 1h]
options: --outputs cdk-outputs.json (a deployed stack; else the local stack), --url <local ingress>, --json`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      order: { type: "string" },
      article: { type: "string" },
      event: { type: "string" },
      "goods-owner": { type: "string" },
      failed: { type: "boolean" },
      since: { type: "string" },
      outputs: { type: "string" },
      url: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const chosen = [values.order, values.article, values.event, values.failed].filter(Boolean).length;
  if (values.help || chosen !== 1) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const source = await trailSource(values);
  if (!source) return 1;
  try {
    const records = values.failed
      ? await trailFailedSince(source.table, parseTime(values.since ?? "1h"))
      : await selectRecords(source.table, { ...values, goodsOwner: values["goods-owner"] });
    if (values.json) {
      console.log(JSON.stringify(records, null, 2));
      return 0;
    }
    if (records.length === 0) {
      console.log(values.failed ? "nothing failed in that time" : "no webhook on the trail for that");
      return values.failed ? 0 : 1;
    }
    if (values.failed) {
      for (const record of records) {
        const failure = record.attempts.findLast(
          (attempt) => attempt.outcome === "transient" || attempt.outcome === "dead-lettered",
        );
        const why = failure?.reason ?? failure?.code ?? "";
        const now = record.outcome !== failure?.outcome ? `  → now ${record.outcome}` : "";
        console.log(
          `${failure?.at ?? record.receivedAt}  ${record.route}  event ${record.eventId}  ${record.subject ?? "-"}  ` +
            `${failure?.outcome ?? record.outcome}: ${why}${now}`,
        );
      }
      return 0;
    }
    console.log(records.flatMap((record) => [...formatJourney(record), ""]).join("\n"));
    return 0;
  } finally {
    source.close();
  }
}

runWhenMain(import.meta, main);
