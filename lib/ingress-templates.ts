/**
 * The ingress's mapping templates (VTL), generated per route: the request template turns a webhook POST into
 * an SQS SendMessage call (query protocol, form-encoded), and the response templates turn SQS's answer into
 * the webhook's answer. Pure functions, so tests can evaluate exactly what the stack synthesizes.
 */
import { messageAttributes, type Route } from "../functions/shared/contract/routes.ts";

/**
 * API Gateway cannot reject a request by its size, so the request template does it: an oversize body is
 * replaced by a call to this action, which SQS does not have. SQS answers 400 `InvalidAction`, and the 400
 * integration response turns that (and only that) into 413. No legitimate SendMessage call yields InvalidAction.
 */
export const oversizeAction = "OngoingWebhooksBodyTooLarge";

/**
 * The characters valid JSON may hold (inside strings) that SQS refuses. The template queues each as its JSON
 * escape, so the message is valid for SQS and decodes to the same text. The other characters SQS refuses
 * (controls, lone surrogates) cannot appear raw in valid JSON, which the request model rejects.
 */
export const sqsRefusedJsonCharacters = ["\uFFFE", "\uFFFF"] as const;

const hex = (character: string) => (character.codePointAt(0) ?? 0).toString(16).padStart(4, "0");

/**
 * The body as queued, in Java's regex and replacement syntax (API Gateway's VTL runs on Java): the pattern
 * `\uFFFE` matches the character; the replacement `\\ufffe` writes a backslash and `ufffe`. Single quotes:
 * Velocity turns `\u` escapes into characters only in double-quoted literals.
 */
const queuedBody = sqsRefusedJsonCharacters.reduce(
  (expression, character) => `${expression}.replaceAll('\\u${hex(character)}', '\\\\u${hex(character)}')`,
  "$input.body",
);

/**
 * The SQS query-protocol request for one route; the body is URL-encoded so SQS stores it byte for byte (bar the
 * escapes above). The size check counts the queued body, so every accepted body fits in an SQS message.
 */
export function sendMessageTemplate(route: Route, maxBodyChars: number): string {
  const attributes: [name: string, type: "String" | "Number", value: string][] = [
    [messageAttributes.eventType, "String", route.eventType],
    [messageAttributes.requestId, "String", "$util.urlEncode($context.requestId)"],
    [messageAttributes.receivedAt, "Number", "$context.requestTimeEpoch"],
  ];
  const attributeParams = attributes
    .map(
      ([name, type, value], index) =>
        `&MessageAttribute.${index + 1}.Name=${name}` +
        `&MessageAttribute.${index + 1}.Value.DataType=${type}` +
        `&MessageAttribute.${index + 1}.Value.StringValue=${value}`,
    )
    .join("");
  // One line: a newline would become part of the form body's first or last parameter.
  return (
    `#set($body = ${queuedBody})` +
    `#if($body.length() > ${maxBodyChars})Action=${oversizeAction}&Version=2012-11-05` +
    `#{else}Action=SendMessage&Version=2012-11-05&MessageBody=$util.urlEncode($body)${attributeParams}#end`
  );
}

/** 2xx from SQS: the webhook is queued. */
export const acceptedTemplate = [
  "#set($messageId = $input.path('$.SendMessageResponse.SendMessageResult.MessageId'))",
  '#if("$!messageId" == "")#set($messageId = $input.path(\'$.MessageId\'))#end',
  '{"messageId":"$util.escapeJavaScript($!messageId)"}',
].join("\n");

/** The JSON error body the ingress answers with (also used by the gateway responses). */
const errorBody = (message: string) => `{"message":"${message}","requestId":"$context.requestId"}`;

/** 400 from SQS: our oversize marker → 413; anything else is SQS refusing a valid webhook → 500, Ongoing retries. */
export function clientErrorTemplate(maxBodyChars: number): string {
  return [
    "#if($input.body.contains('InvalidAction'))",
    "#set($context.responseOverride.status = 413)",
    errorBody(`Payload too large: at most ${maxBodyChars} characters`),
    "#else",
    errorBody("Could not queue the webhook; retry later"),
    "#end",
  ].join("\n");
}

/** Any other SQS answer (403, 5xx, throttling): 500, so Ongoing retries. */
export const serverErrorTemplate = errorBody("Could not queue the webhook; retry later");
