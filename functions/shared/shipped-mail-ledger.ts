import { type Workflow, WorkflowConflictError, WorkflowStore } from "../shared/state/workflow.ts";
import { PermanentError, TransientError } from "./errors.ts";
import { leaseLeftMs, leaseUntil, maxFunctionTimeMs } from "./state/lease.ts";

export type ShippedMailStep = "sending" | "sent" | "retryable";

export interface ShippedMailData extends Record<string, unknown> {
  /** The webhook event that holds (or last held) the claim. */
  eventId?: number;
  claimedAt?: number;
  /** The holder's Lambda deadline (epoch ms): after it, the holder is certainly gone. */
  deadline?: number;
  attempts?: number;
  sesMessageId?: string;
  sentAt?: number;
  /** Why the last attempt did not send (an error code, never personal data). */
  lastFailure?: string;
  /** Set when SES's own event, not the sending attempt, recorded the mail as sent. */
  settledBy?: "ses-event";
}

/** What is kept of an SES event: ids, times and SES's classification, never addresses. */
export interface SesEvidence extends Record<string, unknown> {
  readonly messageId: string;
  /** When SES says the event happened (ISO 8601). */
  readonly at: string;
  readonly bounceType?: string;
  readonly bounceSubType?: string;
  readonly complaintFeedbackType?: string;
  readonly rejectReason?: string;
}

/** The record's attribute an SES event type is kept in (the latest of its type), e.g. `sesDelivery`. */
export const sesEvidenceAttribute = (type: string) => `ses${type}`;

export type ShippedMail = Workflow<ShippedMailData>;

export type ClaimDecision =
  | { readonly action: "claim" }
  | { readonly action: "already-mailed" }
  /** `retryAfterMs`: when to look again (a holder usually records its outcome within a second). */
  | { readonly action: "in-progress"; readonly retryAfterMs: number }
  | { readonly action: "uncertain" };

/** Allowance for clocks of different Lambda hosts disagreeing about the holder's deadline. */
export const clockSkewMs = 5_000;
/** How soon a waiting attempt looks at a young claim again (the pipeline's backoff may wait longer). */
const holderPollMs = 5_000;
/** How long the record stays: longer than Ongoing retries an event, so a late duplicate still finds it. */
const retentionSeconds = 90 * 24 * 3600;

export function decideClaim(existing: ShippedMail | undefined, now: number): ClaimDecision {
  if (!existing || existing.step === "retryable") return { action: "claim" };
  if (existing.step === "sent") return { action: "already-mailed" };
  const deadline = existing.data.deadline ?? existing.updatedAt + maxFunctionTimeMs;
  const untilGoneMs = leaseLeftMs(deadline, now, clockSkewMs);
  if (untilGoneMs < 0) return { action: "uncertain" };
  return { action: "in-progress", retryAfterMs: Math.min(untilGoneMs + 1, holderPollMs) };
}

/**
 * What a claim decision means for this attempt: `claim` goes on, `already-mailed` is a skip; a live holder is
 * a transient failure (come back when it has recorded the outcome or is certainly gone), an uncertain one a
 * permanent failure that tells the operator how to settle it.
 */
export function claimOutcome(
  decision: ClaimDecision,
  key: string,
  existing: ShippedMail | undefined,
): "claim" | "already-mailed" {
  switch (decision.action) {
    case "claim":
    case "already-mailed":
      return decision.action;
    case "in-progress":
      throw new TransientError("mail-in-progress", `another attempt is sending the shipped-mail of ${key}`, {
        retryAfterMs: decision.retryAfterMs,
      });
    case "uncertain": {
      const claimedAt = existing?.data.claimedAt
        ? new Date(existing.data.claimedAt).toISOString()
        : "unknown";
      throw new PermanentError(
        "delivery-uncertain",
        `an attempt claimed the shipped-mail of ${key} at ${claimedAt} and stopped before recording whether SES ` +
          "accepted it; it is not resent automatically. SES's Send event settles it as sent by itself; if the state " +
          `item shipped-mail#${key} has no sesSend after some minutes, SES did not send it: set its step to ` +
          '"retryable" (or delete it) and redrive to send it',
      );
    }
  }
}

export const shippedMailKey = (goodsOwnerId: number, orderId: number): string => `${goodsOwnerId}#${orderId}`;

export class ShippedMailLedger {
  readonly #store: WorkflowStore<ShippedMailData>;
  readonly #now: () => number;

  constructor(tableName: string, now: () => number = Date.now) {
    this.#store = new WorkflowStore<ShippedMailData>({
      tableName,
      kind: "shipped-mail",
      ttlSeconds: retentionSeconds,
      now,
    });
    this.#now = now;
  }

  get(key: string): Promise<ShippedMail | undefined> {
    return this.#store.get(key);
  }

  /**
   * Takes the claim for this attempt: creates it, or moves a `retryable` record back to `sending`.
   * Returns the claim, or the decision for the record another worker created in the meantime.
   */
  async claim(
    key: string,
    existing: ShippedMail | undefined,
    attempt: { eventId: number; remainingTimeMs: number },
  ): Promise<{ claimed: ShippedMail } | { decision: ClaimDecision; existing: ShippedMail }> {
    const now = this.#now();
    const data: ShippedMailData = {
      eventId: attempt.eventId,
      claimedAt: now,
      deadline: leaseUntil(now, attempt.remainingTimeMs),
      attempts: (existing?.data.attempts ?? 0) + 1,
    };
    if (existing) return { claimed: await this.#store.advance(existing, "sending", data) };
    const { workflow, created } = await this.#store.start(key, "sending", data);
    return created ? { claimed: workflow } : { decision: decideClaim(workflow, now), existing: workflow };
  }

  async markSent(claim: ShippedMail, sesMessageId: string): Promise<ShippedMail> {
    try {
      return await this.#store.advance(claim, "sent", { sesMessageId, sentAt: this.#now() });
    } catch (error) {
      // SES's Send event may have settled the record first: then it already says what this attempt would.
      if (!(error instanceof WorkflowConflictError)) throw error;
      const now = await this.get(claim.key);
      if (now?.step === "sent" && now.data.sesMessageId === sesMessageId) return now;
      throw error;
    }
  }

  /** `markSent` for a mail SES accepted: a failure to record it is permanent, so the mail is never resent. */
  async recordSent(claim: ShippedMail, sesMessageId: string): Promise<ShippedMail> {
    try {
      return await this.markSent(claim, sesMessageId);
    } catch (error) {
      throw new PermanentError(
        "delivery-unrecorded",
        `SES accepted the shipped-mail of ${claim.key} (MessageId ${sesMessageId}) but recording it failed; it is not resent`,
        { cause: error },
      );
    }
  }

  /** Keeps SES's event on the mail's record; false when there is no record (expired, or not this stack's mail). */
  recordSesEvent(key: string, type: string, evidence: SesEvidence): Promise<boolean> {
    return this.#store.annotate(key, { [sesEvidenceAttribute(type)]: evidence });
  }

  /**
   * SES's event shows it accepted the mail: a record not yet `sent` (a claim whose outcome was never recorded,
   * or one released as not taken) becomes `sent`, so no attempt sends it again and `delivery-uncertain` is settled.
   */
  async settleSent(
    key: string,
    sesMessageId: string,
    sentAt: number,
  ): Promise<"settled" | "already-sent" | "no-record"> {
    const record = await this.get(key);
    if (!record) return "no-record";
    if (record.step === "sent") return "already-sent";
    await this.#store.advance(record, "sent", { sesMessageId, sentAt, settledBy: "ses-event" });
    return "settled";
  }

  /** SES did not take the mail: a later attempt may send it. */
  release(claim: ShippedMail, failureCode: string): Promise<ShippedMail> {
    return this.#store.advance(claim, "retryable", { lastFailure: failureCode });
  }
}
