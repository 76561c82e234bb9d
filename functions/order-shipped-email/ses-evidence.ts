/**
 * A shipped-mail claim whose outcome nobody recorded (SES timed out or answered 500, or the holder crashed) waits
 * for SES's own evidence instead of going to a person. SES publishes a mail's Send event within seconds of accepting
 * it, and the mail-events function then settles the record as `sent`; so the record is put back to wait (not
 * counting its receive) until the holder is certainly gone plus a grace period. With no event by then, SES did not
 * take the mail: the claim is released and the mail sent once. docs/outages.md says when a double mail is possible.
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { WaitError } from "../shared/errors.ts";
import { metrics } from "../shared/powertools/metrics.ts";
import {
  clockSkewMs,
  decideClaim,
  type ShippedMail,
  type ShippedMailLedger,
} from "../shared/shipped-mail-ledger.ts";

/** The longest a Lambda runs: the holder's deadline when its record has none. */
const maxFunctionTimeMs = 15 * 60_000;
/** A waiting record looks again five times over the grace period (at most every 5 minutes), so one settled is acknowledged soon. */
const pollSeconds = (graceMs: number) => Math.min(300, Math.max(1, Math.ceil(graceMs / 5_000)));

export type UncertainVerdict =
  | { readonly action: "wait"; readonly delaySeconds: number; readonly releaseAt: number }
  | { readonly action: "release" };

/** What to do with an uncertain claim at `now`: wait for SES's event, or release it (the grace has passed). */
export function uncertainVerdict(claim: ShippedMail, now: number, graceMs: number): UncertainVerdict {
  const holderGoneAt = (claim.data.deadline ?? claim.updatedAt + maxFunctionTimeMs) + clockSkewMs;
  const releaseAt = holderGoneAt + graceMs;
  if (now >= releaseAt) return { action: "release" };
  const delaySeconds = Math.max(1, Math.min(Math.ceil((releaseAt - now) / 1000), pollSeconds(graceMs)));
  return { action: "wait", delaySeconds, releaseAt };
}

/**
 * The shipped-mail record this attempt may go on with. A claim still held (the holder may be running) or uncertain
 * within the grace period makes the record wait (WaitError: requeued, its receive not counted); an uncertain claim
 * past the grace period is released, so the caller claims and sends it. Any other record is returned as it is.
 */
export async function awaitSesEvidence(
  ledger: ShippedMailLedger,
  existing: ShippedMail | undefined,
  options: { readonly graceMs: number; readonly now?: number; readonly logger: Logger },
): Promise<ShippedMail | undefined> {
  if (!existing) return existing;
  const now = options.now ?? Date.now();
  const decision = decideClaim(existing, now);
  if (decision.action === "in-progress") {
    throw new WaitError("mail-in-progress", `another attempt holds the shipped-mail of ${existing.key}`, {
      delaySeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
      waitingFor: "ses",
    });
  }
  if (decision.action !== "uncertain") return existing;
  const verdict = uncertainVerdict(existing, now, options.graceMs);
  if (verdict.action === "wait") {
    throw new WaitError(
      "mail-awaiting-ses-evidence",
      `an attempt claimed the shipped-mail of ${existing.key} and stopped before recording whether SES accepted it; ` +
        `waiting for SES's event until ${new Date(verdict.releaseAt).toISOString()}, then it is sent`,
      { delaySeconds: verdict.delaySeconds, waitingFor: "ses" },
    );
  }
  const released = await ledger.release(existing, "no-ses-evidence");
  metrics.addMetric("MailsReleasedWithoutSesEvidence", MetricUnit.Count, 1);
  options.logger.warn("no SES event for an uncertain shipped-mail within the grace period; sending it", {
    key: existing.key,
    claimedAt: existing.data.claimedAt,
    graceSeconds: Math.round(options.graceMs / 1000),
  });
  return released;
}
