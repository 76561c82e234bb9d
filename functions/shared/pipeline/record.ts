/** What the pipeline reads from an SQS record: the parsed webhook and the attributes the ingress and the pipeline set. */
import type { SQSRecord } from "aws-lambda";
import type { z } from "zod";
import { eventTypes, messageAttributes } from "../contract/routes.ts";
import { PermanentError } from "../errors.ts";
import type { UseCaseDefinition, WebhookRecord } from "./types.ts";

/** Parses a record's body against the use-case's schema and event types; anything wrong is permanent. */
export function parseRecord<S extends z.ZodType, E extends string>(
  definition: Pick<UseCaseDefinition<S, E>, "eventTypes" | "schema">,
  sqsRecord: SQSRecord,
  receiveCount: number,
  apiRequestId: string | undefined,
): WebhookRecord<z.infer<S>, E> {
  let body: unknown;
  try {
    body = JSON.parse(sqsRecord.body);
  } catch {
    // The parser's message quotes the body, which may hold personal data.
    throw new PermanentError("invalid-payload", "the body is not JSON");
  }
  const eventType = stringAttribute(sqsRecord, messageAttributes.eventType);
  const accepted: readonly string[] = definition.eventTypes ?? eventTypes;
  if (eventType === undefined || !accepted.includes(eventType)) {
    throw new PermanentError(
      "invalid-payload",
      `unknown or missing eventType attribute: ${eventType ?? "none"}`,
    );
  }
  const parsed = definition.schema.safeParse(body);
  if (!parsed.success) {
    // Zod's issues name paths and expected types, never the offending values.
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new PermanentError(
      "invalid-payload",
      `the payload does not match the schema: ${issues.join("; ")}`,
    );
  }
  // The ingress's receive time; without it, when the message reached the queue (a moment later).
  const receivedAt = Number(
    stringAttribute(sqsRecord, messageAttributes.receivedAt) ?? sqsRecord.attributes?.SentTimestamp,
  );
  return {
    payload: parsed.data,
    eventType: eventType as E,
    messageId: sqsRecord.messageId,
    receiveCount,
    apiRequestId,
    receivedAt: Number.isFinite(receivedAt) && receivedAt > 0 ? receivedAt : undefined,
  };
}

/** Receives counted before the message was requeued to wait out an outage. */
export function countedBefore(record: SQSRecord): number {
  const counted = Number(stringAttribute(record, messageAttributes.countedReceives));
  return Number.isInteger(counted) && counted > 0 ? counted : 0;
}

export function stringAttribute(record: SQSRecord, name: string): string | undefined {
  return record.messageAttributes?.[name]?.stringValue;
}
