/** The configuration checks that span several keys; each adds an issue naming the key to change. */
import type * as z from "zod";
import { mailPacingReserveMs, maxVisibilitySeconds } from "../../functions/shared/contract/limits.ts";
import { useCases } from "../../functions/shared/contract/routes.ts";
import type { ConfigObject } from "./schema.ts";

type Issues = z.RefinementCtx;

const mailPacingReserveSeconds = mailPacingReserveMs / 1000;

/** How long the main queues keep a message (SQS's longest). */
export const queueRetentionSeconds = 14 * 24 * 3600;

/**
 * The longest a message can spend in retries: each failed receive waits at most the full (unjittered) backoff,
 * base · 2^(n-1) capped at SQS's 12 hours, and is then received again.
 */
export function worstCaseBackoffSeconds(baseSeconds: number, maxReceiveCount: number): number {
  let total = 0;
  for (let receive = 1; receive < maxReceiveCount; receive++)
    total += Math.min(maxVisibilitySeconds, baseSeconds * 2 ** Math.min(receive - 1, 30));
  return total;
}

/**
 * Whether SES sends from `address` under `identity`: an address identity covers itself only; a domain identity
 * covers every address at the domain and at its subdomains (SES's inherited verification).
 */
export function senderIdentityCovers(identity: string, address: string): boolean {
  const [wanted, given] = [identity.toLowerCase(), address.toLowerCase()];
  if (wanted.includes("@")) return wanted === given;
  const domain = given.slice(given.lastIndexOf("@") + 1);
  return domain === wanted || domain.endsWith(`.${wanted}`);
}

/** Every cross-key check, in the order their issues are reported. */
export function checkConfig(config: ConfigObject, ctx: Issues): void {
  checkRetriesFitRetention(config, ctx);
  checkMailPacing(config, ctx);
  checkGoodsOwnerSecrets(config, ctx);
  checkSenderIdentity(config, ctx);
  checkNshiftAccount(config, ctx);
  checkAutomationLogin(config, ctx);
}

/** A message whose retries outlast the queue's retention would vanish instead of reaching the DLQ. */
function checkRetriesFitRetention(config: ConfigObject, ctx: Issues): void {
  for (const useCase of useCases) {
    const settings = config.useCases[useCase];
    const worst = worstCaseBackoffSeconds(settings.retryBaseDelaySeconds, settings.maxReceiveCount);
    if (worst > queueRetentionSeconds) {
      ctx.addIssue({
        code: "custom",
        path: ["useCases", useCase, "maxReceiveCount"],
        message:
          `with retryBaseDelaySeconds ${settings.retryBaseDelaySeconds}, ${settings.maxReceiveCount} receives may ` +
          `take ${Math.ceil(worst / 86_400)} days of backoff, longer than the queue keeps a message (14 days): ` +
          "a webhook would expire instead of reaching the dead-letter queue; lower maxReceiveCount or retryBaseDelaySeconds",
      });
    }
  }
}

/** Each invocation sends its share of the rate; a full batch must fit in its time-out with room to record it. */
function checkMailPacing(config: ConfigObject, ctx: Issues): void {
  const mail = config.useCases["order-shipped-email"];
  const secondsPerBatch = (mail.batchSize * mail.maxConcurrency) / config.email.maxSendRate;
  if (mail.enabled && secondsPerBatch > mail.timeoutSeconds - mailPacingReserveSeconds) {
    ctx.addIssue({
      code: "custom",
      path: ["email", "maxSendRate"],
      message:
        `too low for useCases.order-shipped-email: each of its ${mail.maxConcurrency} concurrent invocations sends ` +
        `${mail.batchSize} mails at ${config.email.maxSendRate / mail.maxConcurrency}/s, which takes ` +
        `${Math.ceil(secondsPerBatch)} s, more than its timeoutSeconds (${mail.timeoutSeconds}) less ` +
        `${mailPacingReserveSeconds} s to send and record the last mail; raise maxSendRate or timeoutSeconds, or ` +
        "lower batchSize or maxConcurrency",
    });
  }
}

/** Goods owners' secrets are granted by prefix only. */
function checkGoodsOwnerSecrets(config: ConfigObject, ctx: Issues): void {
  const prefix = config.ongoing.goodsOwnerSecretPrefix;
  for (const [id, owner] of Object.entries(config.goodsOwners)) {
    if (owner.credentialsSecretName !== undefined && !owner.credentialsSecretName.startsWith(prefix)) {
      ctx.addIssue({
        code: "custom",
        path: ["goodsOwners", id, "credentialsSecretName"],
        message: `must start with ongoing.goodsOwnerSecretPrefix ("${prefix}"): functions may read only the secrets under it`,
      });
    }
  }
}

/** SES refuses (mail-rejected, at run time) a From address its sending identity does not cover. */
function checkSenderIdentity(config: ConfigObject, ctx: Issues): void {
  const identity = config.email.senderIdentity;
  const senders = [
    ...(config.email.default ? [["email", "default", "fromAddress", config.email.default.fromAddress]] : []),
    ...Object.entries(config.goodsOwners).flatMap(([id, owner]) =>
      owner.email?.fromAddress ? [["goodsOwners", id, "email", "fromAddress", owner.email.fromAddress]] : [],
    ),
  ];
  for (const entry of senders) {
    const address = entry.at(-1) as string;
    if (!senderIdentityCovers(identity, address)) {
      ctx.addIssue({
        code: "custom",
        path: entry.slice(0, -1),
        message: `"${address}" is not covered by email.senderIdentity ("${identity}"): SES would reject every mail from it`,
      });
    }
  }
}

/** Choosing nShift anywhere needs its account settings. */
function checkNshiftAccount(config: ConfigObject, ctx: Issues): void {
  const nshiftUsers = [
    ...(config.transport.adapter === "nshift" ? ["transport.adapter"] : []),
    ...Object.entries(config.goodsOwners)
      .filter(([, owner]) => owner.transportAdapter === "nshift")
      .map(([id]) => `goodsOwners.${id}.transportAdapter`),
  ];
  if (nshiftUsers.length > 0 && config.transport.nshift === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["transport", "nshift"],
      message: `required when the nShift adapter is chosen (${nshiftUsers.join(", ")}): {credentialsSecretName, senderQuickId}`,
    });
  }
}

/** The Automation API logs in as the integrator: choosing it anywhere needs that login. */
function checkAutomationLogin(config: ConfigObject, ctx: Issues): void {
  const automationUsers = [
    ...(config.ongoing.transportApi === "automation" ? ["ongoing.transportApi"] : []),
    ...Object.entries(config.goodsOwners)
      .filter(([, owner]) => owner.transportApi === "automation")
      .map(([id]) => `goodsOwners.${id}.transportApi`),
    // Printing exists only in the Automation API, whichever API writes the rest back.
    ...Object.entries(config.goodsOwners)
      .filter(([, owner]) => owner.printing !== undefined)
      .map(([id]) => `goodsOwners.${id}.printing`),
  ];
  if (automationUsers.length > 0 && config.ongoing.automationCredentialsSecretName === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["ongoing", "automationCredentialsSecretName"],
      message: `required when the Automation API is chosen (${automationUsers.join(", ")})`,
    });
  }
}
