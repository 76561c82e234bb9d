/**
 * Writes the trail: one UpdateItem per outcome, appending the attempt and setting the effect in the same call.
 * A trail write never fails or repeats the webhook's processing: an error is logged as a warning, counted
 * (`TrailWriteFailed`) and swallowed, and the write is given a short time-out.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import { documentClient } from "../aws/dynamodb.ts";
import { routes } from "../contract/routes.ts";
import { logger } from "../powertools/logger.ts";
import { metrics } from "../powertools/metrics.ts";
import {
  type AttemptOutcome,
  hourOf,
  maxKeptBodyBytes,
  maxReasonChars,
  subjectOf,
  type TrailAttempt,
  trailKeys,
} from "./model.ts";

/** A trail write that takes longer than this is given up: the webhook's processing does not wait on it. */
const writeTimeoutMs = 2_000;

/** Payload fields that may hold free text (a carrier's comment could name a person): never kept. */
const freeTextFields = new Set(["comment"]);

/** Ids a trail item keeps as attributes of their own (the subject index is built from them). */
const idFields = ["goodsOwnerId", "orderId", "articleSystemId", "webhookEventId"] as const;

export interface TrailWriterOptions {
  readonly tableName: string;
  /** Days an item is kept after its latest write (the table's TTL). */
  readonly retentionDays: number;
  /** @default the shared document client */
  readonly client?: DynamoDBDocumentClient;
}

/** Which webhook a record is, as the ingress's attributes tell it. */
export interface TrailIdentity {
  readonly eventId: string;
  readonly useCase: string;
  readonly eventType: string | undefined;
  /** When the ingress accepted it (epoch ms). */
  readonly receivedAt: number | undefined;
  /** Sent again by `npm run replay`. */
  readonly replay?: boolean;
}

/** What an outcome adds to the trail. */
export interface TrailNote {
  readonly outcome: AttemptOutcome;
  readonly reason?: string | undefined;
  readonly code?: string | undefined;
  readonly receive?: number | undefined;
  /** What the processing did (set in the same write). */
  readonly effect?: Readonly<Record<string, string>> | undefined;
}

export class TrailWriter {
  readonly #options: TrailWriterOptions;

  constructor(options: TrailWriterOptions) {
    this.#options = options;
  }

  /** The trail of one record; its notes are written to the webhook's item. */
  forRecord(identity: TrailIdentity): RecordTrail {
    return new RecordTrail(this.#options, identity);
  }
}

export class RecordTrail {
  readonly #options: TrailWriterOptions;
  readonly #identity: TrailIdentity;
  /** Filled once the payload is parsed: the ids, the subject and the body as kept. */
  readonly #described: Record<string, string | number> = {};

  constructor(options: TrailWriterOptions, identity: TrailIdentity) {
    this.#options = options;
    this.#identity = identity;
  }

  /** Adds what the parsed payload tells (ids, subject) and the body kept for replay. */
  describe(payload: unknown, schema: z.ZodType): void {
    const fields = (payload ?? {}) as Record<string, unknown>;
    for (const name of idFields) {
      const value = fields[name];
      if (typeof value === "number" || typeof value === "string") this.#described[name] = value;
    }
    const subject = subjectOf(payload);
    if (subject) this.#described.subject = subject;
    const body = keptBody(fields, schema);
    if (Buffer.byteLength(body) <= maxKeptBodyBytes) this.#described.body = body;
    else this.#described.bodyOmittedBytes = Buffer.byteLength(body);
  }

  /** Writes one outcome; never throws. */
  async note(note: TrailNote, log: Logger = logger): Promise<void> {
    try {
      await this.#write(note);
    } catch (error) {
      const single = metrics.singleMetric();
      single.addMetric("TrailWriteFailed", MetricUnit.Count, 1);
      log.warn("could not write the trail; the webhook's processing goes on", {
        outcome: note.outcome,
        error: String(error),
      });
    }
  }

  async #write(note: TrailNote): Promise<void> {
    const now = Date.now();
    const { eventId, useCase, eventType, replay } = this.#identity;
    const receivedAt = this.#identity.receivedAt ?? now;
    const attempt: TrailAttempt = {
      at: new Date(now).toISOString(),
      outcome: note.outcome,
      ...(note.reason ? { reason: truncate(note.reason) } : {}),
      ...(note.code ? { code: note.code } : {}),
      ...(note.receive ? { receive: note.receive } : {}),
      ...(replay ? { replay: true } : {}),
    };
    const route = routes.find(
      (candidate) => candidate.useCase === useCase && candidate.eventType === eventType,
    );
    const set: [name: string, value: unknown, how?: "if-not-exists" | "append"][] = [
      ["route", route?.path ?? useCase],
      ["useCase", useCase],
      ["eventType", eventType ?? "unknown"],
      ["receivedAt", receivedAt, "if-not-exists"],
      ["receivedHour", hourOf(receivedAt), "if-not-exists"],
      [trailKeys.expiresAt, Math.floor(now / 1000) + this.#options.retentionDays * 86_400],
      ["attempts", [attempt], "append"],
      ...Object.entries(this.#described).map(([name, value]): [string, unknown, "if-not-exists"] => [
        name,
        value,
        "if-not-exists",
      ]),
      note.effect ? ["effect", { ...note.effect }] : ["effect", {}, "if-not-exists"],
    ];
    if (note.outcome === "transient" || note.outcome === "dead-lettered") {
      set.push(["failedHour", hourOf(now)], ["failedAt", now]);
    }
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":none": [] };
    const clauses = set.map(([name, value, how], index) => {
      names[`#n${index}`] = name;
      values[`:v${index}`] = value;
      if (how === "if-not-exists") return `#n${index} = if_not_exists(#n${index}, :v${index})`;
      if (how === "append") return `#n${index} = list_append(if_not_exists(#n${index}, :none), :v${index})`;
      return `#n${index} = :v${index}`;
    });
    await (this.#options.client ?? documentClient).send(
      new UpdateCommand({
        TableName: this.#options.tableName,
        Key: { [trailKeys.eventId]: eventId },
        UpdateExpression: `SET ${clauses.join(", ")}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
      { abortSignal: AbortSignal.timeout(writeTimeoutMs) },
    );
  }
}

/**
 * The body kept for replay: the schema's own fields only, so whatever else a custom webhook template adds
 * (which could be personal data) is not kept, and no free text.
 */
function keptBody(payload: Record<string, unknown>, schema: z.ZodType): string {
  const shape = (schema as { shape?: Record<string, unknown> }).shape ?? {};
  const kept = Object.fromEntries(
    Object.entries(payload).filter(([name]) => name in shape && !freeTextFields.has(name)),
  );
  return JSON.stringify(kept);
}

function truncate(text: string): string {
  return text.length > maxReasonChars ? `${text.slice(0, maxReasonChars - 1)}…` : text;
}
