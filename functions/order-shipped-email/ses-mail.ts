/**
 * Sends a shipped-mail through SES (v1 SendEmail) and says what a failure means for the mail: never sent
 * (safe to send again later), or perhaps sent (must not be sent again blindly).
 */
import { SendEmailCommand } from "@aws-sdk/client-ses";
import { sesClient } from "../shared/aws/ses.ts";
import { dependencyAnswered } from "../shared/breaker/answers.ts";
import { PermanentError, TransientError } from "../shared/errors.ts";
import type { ShippedMail } from "./mail-content.ts";

export interface Envelope {
  readonly to: string;
  readonly from: string;
  readonly replyTo: readonly string[];
  readonly configurationSet: string | undefined;
  /** SES message tags (letters, digits, `_` and `-` only), for the configuration set's event destinations. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Sends the mail; resolves to SES's MessageId once SES has accepted it. */
export async function sendMail(
  envelope: Envelope,
  mail: ShippedMail,
  options: { abortSignal?: AbortSignal } = {},
): Promise<string> {
  const utf8 = (data: string) => ({ Data: data, Charset: "UTF-8" });
  const response = await sesClient.send(
    new SendEmailCommand({
      Source: envelope.from,
      Destination: { ToAddresses: [envelope.to] },
      ReplyToAddresses: envelope.replyTo.length > 0 ? [...envelope.replyTo] : undefined,
      ConfigurationSetName: envelope.configurationSet,
      Message: { Subject: utf8(mail.subject), Body: { Html: utf8(mail.html), Text: utf8(mail.text) } },
      Tags: Object.entries(envelope.tags).map(([Name, Value]) => ({ Name, Value })),
    }),
    { abortSignal: options.abortSignal },
  );
  if (!response.MessageId) throw new Error("SES answered without a MessageId");
  dependencyAnswered("ses");
  return response.MessageId;
}

export type SesFailure =
  /** SES refused the request before accepting it; it may be sent again later. */
  | { readonly kind: "throttled" | "unavailable"; readonly code: string }
  /** SES rejected this message or the sender's setup; sending again will fail the same way until fixed. */
  | { readonly kind: "rejected"; readonly code: string }
  /** The connection was never made, so SES cannot have the mail. */
  | { readonly kind: "not-delivered"; readonly code: string }
  /** The request may have reached SES (reset, time-out, abort): SES may have accepted the mail. */
  | { readonly kind: "outcome-unknown"; readonly code: string };

const throttlingCodes = new Set([
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestThrottled",
]);
const connectionNeverMadeCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

export function classifySesError(error: unknown): SesFailure {
  const failure = error as {
    name?: string;
    code?: string;
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = failure?.$metadata?.httpStatusCode;
  // An answer the SDK could not read leaves only the HTTP status to name it.
  const name = failure?.name && failure.name !== "Error" ? failure.name : status ? `HTTP ${status}` : "Error";
  if (throttlingCodes.has(name) || status === 429) return { kind: "throttled", code: name };
  // Only a 503 says SES did not take the request; a 500 or a gateway time-out may follow an accepted mail.
  if (status === 503) return { kind: "unavailable", code: name };
  if (status !== undefined && status >= 500) return { kind: "outcome-unknown", code: name };
  if (status !== undefined && status >= 400) return { kind: "rejected", code: name };
  const systemCode = failure?.code ?? (failure as { cause?: { code?: string } })?.cause?.code;
  if (systemCode && connectionNeverMadeCodes.has(systemCode))
    return { kind: "not-delivered", code: systemCode };
  return { kind: "outcome-unknown", code: systemCode ?? name };
}

/**
 * What a failed send of the mail named `what` means for the pipeline: the failure to throw, and whether SES
 * certainly did not take the mail (only then may its claim be released; otherwise it is never resent blindly).
 */
export function sendFailure(
  error: unknown,
  what: string,
): { readonly failure: PermanentError | TransientError; readonly code: string; readonly notTaken: boolean } {
  const { kind, code } = classifySesError(error);
  const notTaken = kind !== "outcome-unknown";
  if (kind === "rejected") {
    dependencyAnswered("ses");
    const failure = new PermanentError("mail-rejected", `SES rejected ${what}: ${code}`, { cause: error });
    return { failure, code, notTaken };
  }
  const verb = kind === "outcome-unknown" ? "may or may not have accepted" : "did not accept";
  // Throttled (rate or daily quota), unavailable or unreachable: SES's state, not this mail's.
  const failure = new TransientError(`ses-${kind}`, `SES ${verb} ${what}: ${code}`, {
    cause: error,
    dependency: "ses",
  });
  return { failure, code, notTaken };
}
