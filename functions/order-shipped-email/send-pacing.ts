/**
 * Keeps mail under SES's sending rate instead of running into its throttling. Each invocation sends at most
 * its share of the rate (the configured rate ÷ the event source's maximum concurrency), so however the
 * invocations are spread over containers, together they stay within the rate. A throttled send would cost the
 * webhook a retry delay; a paced one waits a fraction of a second.
 */
import { mailPacingReserveMs, recordingReserveMs, sesMaxWaitMs } from "../shared/contract/limits.ts";
import { TransientError } from "../shared/errors.ts";
import { type Invocation, InvocationScope } from "../shared/invocation-scope.ts";

/**
 * Send slots of one invocation, `intervalMs` apart. The first slot is one interval after the invocation began,
 * so an invocation that follows another straight away does not send right after the other's last mail.
 */
export class SendPacer {
  readonly #intervalMs: number;
  #nextSlotAt: number;

  constructor(intervalMs: number, startedAt: number) {
    this.#intervalMs = intervalMs;
    this.#nextSlotAt = startedAt + intervalMs;
  }

  /** Takes the next free slot no later than `latestAt` (epoch ms) and returns it; undefined when none is left. */
  reserve(now: number, latestAt: number): number | undefined {
    const slot = Math.max(this.#nextSlotAt, now);
    if (slot > latestAt) return undefined;
    this.#nextSlotAt = slot + this.#intervalMs;
    return slot;
  }
}

/** How long a mail may wait for SES's answer with `remainingTimeMs` left: the outcome must still be recorded. */
export const sesTimeoutMs = (remainingTimeMs: number): number =>
  Math.min(Math.max(remainingTimeMs - recordingReserveMs, 1_000), sesMaxWaitMs);

const pacers = new InvocationScope<SendPacer>();

/**
 * The invocation's pacer, created on the first call of the batch (each record calls it when it starts, so that
 * is when the batch starts). Undefined when no rate is set.
 */
export function pacerOf(
  batch: Invocation,
  ratePerSecond: number | undefined,
  now = Date.now(),
): SendPacer | undefined {
  if (ratePerSecond === undefined) return undefined;
  return pacers.of(batch, () => new SendPacer(1000 / ratePerSecond, now));
}

/**
 * Waits for this mail's send slot. Throws a transient failure (the webhook is retried later) when the slot
 * would leave less than `reserveMs` of the invocation's time, so a mail is never claimed without time to send it.
 * The configuration refuses a rate at which a full batch does not fit, so this is a safety net.
 */
export async function awaitSendSlot(
  pacer: SendPacer | undefined,
  remainingTimeMs: number,
  reserveMs = mailPacingReserveMs,
): Promise<void> {
  if (!pacer) return;
  const now = Date.now();
  const slot = pacer.reserve(now, now + remainingTimeMs - reserveMs);
  if (slot === undefined) {
    throw new TransientError(
      "ses-rate-share-used",
      "this invocation's share of the SES sending rate is used up before its time-out; the mail is sent on a later attempt",
    );
  }
  if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
}
