/**
 * The operator's trail: one item per accepted webhook (keyed by the API Gateway request id, the ingress's
 * `apiRequestId` attribute: Ongoing sends no id of its own for a delivery), holding what it was about, each
 * attempt's outcome and the effect. Ids only, never personal data. Shared by the pipeline (writes), the
 * mail-events function (SES's delivery events), the trace/replay CLIs and the local status page (reads).
 */

import { trailIndexes, trailKeys } from "../contract/trail-keys.ts";

export { trailIndexes, trailKeys };

export const trailOutcomes = ["pending", "done", "skipped", "transient", "dead-lettered"] as const;
export type TrailOutcome = (typeof trailOutcomes)[number];
export type AttemptOutcome = Exclude<TrailOutcome, "pending">;

/** One attempt (a receive, a duplicate, a wait for a dependency or a dead-lettering) and what came of it. */
export interface TrailAttempt {
  /** ISO 8601. */
  readonly at: string;
  readonly outcome: AttemptOutcome;
  readonly reason?: string;
  readonly code?: string;
  /** The counted receive this attempt was. */
  readonly receive?: number;
  /** Sent again by `npm run replay`. */
  readonly replay?: boolean;
}

/** A webhook's journey as the trace CLI and the local status page show it. */
export interface TrailEntry {
  readonly eventId: string;
  /** The route path it was posted to (`order-shipped-email`, `article-updated`, …). */
  readonly route: string;
  readonly useCase: string;
  readonly goodsOwnerId?: number;
  readonly subject?: string;
  /** ISO 8601: when the ingress accepted it. */
  readonly receivedAt: string;
  /** The latest attempt's outcome; a skip after a done (a duplicate, a replay) leaves it done. */
  readonly outcome: TrailOutcome;
  readonly reason?: string;
  readonly attempts: readonly TrailAttempt[];
  /** What it did: SES message id and SES's events, waybill, mirror revision, … */
  readonly effect?: Record<string, string>;
}

/** A trail item with what replay needs: the route's event type and the body as kept. */
export interface TrailRecord extends TrailEntry {
  readonly eventType: string;
  /** The webhook's body as kept for replay (its schema's fields only); absent when it was too large. */
  readonly body?: string;
  /** The size of a body too large to keep. */
  readonly bodyOmittedBytes?: number;
}

/** A body larger than this is not kept (Ongoing's bodies are ids only, a few hundred bytes). */
export const maxKeptBodyBytes = 4096;
/** Reasons are cut here: enough to say why, and the item stays small whatever the attempts. */
export const maxReasonChars = 300;

/** The subject of a payload: an order or an article; undefined when it names neither. */
export function subjectOf(payload: unknown): string | undefined {
  const { orderId, articleSystemId } = (payload ?? {}) as Record<string, unknown>;
  if (typeof orderId === "number") return orderSubject(orderId);
  if (typeof articleSystemId === "number") return articleSubject(articleSystemId);
  return undefined;
}

export const orderSubject = (orderId: number | string) => `order#${orderId}`;
export const articleSubject = (articleSystemId: number | string) => `article#${articleSystemId}`;

/** The hour partition of a time (UTC): `2026-12-03T10`. */
export const hourOf = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 13);

/** Every hour partition from `fromMs` to `toMs`, newest first. */
export function hoursBetween(fromMs: number, toMs: number): string[] {
  const hours: string[] = [];
  const hourMs = 3_600_000;
  for (let at = Math.floor(toMs / hourMs) * hourMs; at >= Math.floor(fromMs / hourMs) * hourMs; at -= hourMs)
    hours.push(hourOf(at));
  return hours;
}

/** The SES tag that ties a shipped-mail's events to its webhook's trail (SES tag values: letters, digits, _ and -). */
export const trailEventIdTag = "trailEventId";

/** The mail tag carrying the event id, or none when the id cannot be a tag value. */
export function trailTag(eventId: string | undefined): Record<string, string> {
  return eventId && /^[A-Za-z0-9_-]{1,256}$/.test(eventId) ? { [trailEventIdTag]: eventId } : {};
}

/** The journey's outcome from its attempts: the latest, but a skip after a done (a duplicate) leaves it done. */
export function outcomeOf(attempts: readonly TrailAttempt[]): { outcome: TrailOutcome; reason?: string } {
  let current: TrailAttempt | undefined;
  for (const attempt of attempts) {
    if (current?.outcome === "done" && attempt.outcome === "skipped") continue;
    current = attempt;
  }
  if (!current) return { outcome: "pending" };
  const reason = current.reason ?? current.code;
  return reason ? { outcome: current.outcome, reason } : { outcome: current.outcome };
}
