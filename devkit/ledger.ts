/**
 * The books of a run: every webhook the ingress accepted must end as exactly one effect (a mail SES accepted, a
 * waybill written back to Ongoing, an article mirror item) or one dead letter, never both, never none.
 */
import type { UseCase } from "../functions/shared/contract/routes.ts";
import { customerOf } from "./ongoing.ts";
import type { Pipeline } from "./pipeline.ts";
import type { Delivery, DeliveryAnswer } from "./webhooks.ts";

/** One webhook of a run; `key` is the order id or article system id it is about, unique within the run. */
export interface PlannedWebhook extends Delivery {
  readonly key: number;
}

export interface UseCaseTally {
  sent: number;
  accepted: number;
  processed: number;
  deadLettered: number;
  lost: number;
  duplicated: number;
}

export interface Tally extends UseCaseTally {
  rejected: number;
  byUseCase: Partial<Record<UseCase, UseCaseTally>>;
  /** Dead letters by their `failureClass`/`failureCode`. */
  deadLetterReasons: Record<string, number>;
  /** Dead letters without a `failureReason` (SQS's own redrive after max receives). */
  deadLettersWithoutReason: number;
  lostSample: string[];
  duplicatedSample: string[];
}

const keyField = (useCase: UseCase) => (useCase === "article-sync" ? "articleSystemId" : "orderId");

/** How many times each key's effect happened, per use-case. */
async function effectCounts(
  pipeline: Pipeline,
  useCases: Set<UseCase>,
): Promise<Map<UseCase, Map<number, number>>> {
  const counts = new Map<UseCase, Map<number, number>>();
  if (useCases.has("order-shipped-email")) {
    const mails = new Map<number, number>();
    for (const [recipient, times] of pipeline.mailsAccepted()) {
      const id = Number(/^customer-(\d+)@/.exec(recipient)?.[1]);
      if (recipient === customerOf(id).email) mails.set(id, times.length);
    }
    counts.set("order-shipped-email", mails);
  }
  if (useCases.has("transport-booking")) {
    const waybills = new Map<number, number>();
    for (const write of await pipeline.ongoing.writes()) {
      const id = Number(/^\/orders\/(\d+)\/waybill$/.exec(write.path)?.[1]);
      if (id && write.status < 300) waybills.set(id, (waybills.get(id) ?? 0) + 1);
    }
    counts.set("transport-booking", waybills);
  }
  if (useCases.has("article-sync")) {
    const items = new Map<number, number>();
    for (const [id] of await pipeline.mirror()) items.set(id, 1);
    counts.set("article-sync", items);
  }
  return counts;
}

export async function tally(
  pipeline: Pipeline,
  planned: readonly PlannedWebhook[],
  answers: readonly DeliveryAnswer[],
): Promise<Tally> {
  const useCases = new Set(planned.map((webhook) => webhook.route.useCase));
  const effects = await effectCounts(pipeline, useCases);
  const result: Tally = {
    sent: planned.length,
    accepted: 0,
    rejected: 0,
    processed: 0,
    deadLettered: 0,
    lost: 0,
    duplicated: 0,
    byUseCase: {},
    deadLetterReasons: {},
    deadLettersWithoutReason: 0,
    lostSample: [],
    duplicatedSample: [],
  };
  const deadLetters = new Map<UseCase, Map<number, number>>();
  for (const useCase of useCases) {
    const byKey = new Map<number, number>();
    for (const letter of await pipeline.deadLetters(useCase)) {
      let key = Number.NaN;
      try {
        key = Number((JSON.parse(letter.body) as Record<string, unknown>)[keyField(useCase)]);
      } catch {
        // A body that is not JSON never came through the ingress's validation; it is counted, not matched.
      }
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
      const reason = `${letter.attributes.failureClass ?? "none"}/${letter.attributes.failureCode ?? "none"}`;
      result.deadLetterReasons[reason] = (result.deadLetterReasons[reason] ?? 0) + 1;
      if (!letter.attributes.failureReason) result.deadLettersWithoutReason += 1;
    }
    deadLetters.set(useCase, byKey);
  }
  planned.forEach((webhook, index) => {
    const useCase = webhook.route.useCase;
    const own = result.byUseCase[useCase] ?? {
      sent: 0,
      accepted: 0,
      processed: 0,
      deadLettered: 0,
      lost: 0,
      duplicated: 0,
    };
    result.byUseCase[useCase] = own;
    own.sent += 1;
    if (answers[index]?.status !== 202) {
      result.rejected += 1;
      return;
    }
    own.accepted += 1;
    const done = effects.get(useCase)?.get(webhook.key) ?? 0;
    const dead = deadLetters.get(useCase)?.get(webhook.key) ?? 0;
    if (done + dead === 0) {
      own.lost += 1;
      if (result.lostSample.length < 10) result.lostSample.push(`${webhook.route.path} ${webhook.key}`);
    } else if (done + dead > 1) {
      own.duplicated += 1;
      if (result.duplicatedSample.length < 10)
        result.duplicatedSample.push(
          `${webhook.route.path} ${webhook.key}: ${done} effects, ${dead} dead letters`,
        );
    } else if (done === 1) own.processed += 1;
    else own.deadLettered += 1;
  });
  for (const own of Object.values(result.byUseCase)) {
    result.accepted += own.accepted;
    result.processed += own.processed;
    result.deadLettered += own.deadLettered;
    result.lost += own.lost;
    result.duplicated += own.duplicated;
  }
  return result;
}

/** Does the tally balance: accepted = processed + dead-lettered, nothing lost, nothing duplicated? */
export const balances = (t: Tally): boolean =>
  t.accepted === t.processed + t.deadLettered && t.lost === 0 && t.duplicated === 0;
