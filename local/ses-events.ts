/**
 * The local stand-in for SES event publishing, which aws-ses-v2-local does not do: a proxy in front of it that,
 * for every mail SES accepted with a configuration set, emits the events SES would put on EventBridge's default
 * bus for a mail that went out (`Email Sent`, then `Email Delivered`), with the mail's tags and MessageId, in
 * EventBridge's envelope and SES's event-publishing record shape. Bounces, complaints and rejects are never
 * emitted (the local SES delivers everything); tests build those with `sesEvent`.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { type SesEventType, sesDetailTypes } from "../functions/shared/contract/ses-events.ts";
import { closeServer, listen, readBody } from "../simulators/http.ts";

export interface SesEventInput {
  readonly type: SesEventType;
  readonly messageId: string;
  /** The mail's SES tags (name → value); SES adds `ses:configuration-set`. */
  readonly tags: Record<string, string>;
  readonly configurationSet?: string;
  readonly source?: string;
  readonly destination?: readonly string[];
  /** When SES took the mail. @default now */
  readonly sentAt?: Date;
  /** When this event happened. @default now */
  readonly at?: Date;
  readonly region?: string;
  readonly account?: string;
}

/** One SES sending event as EventBridge delivers it to a rule's target. */
export function sesEvent(input: SesEventInput) {
  const at = (input.at ?? new Date()).toISOString();
  const region = input.region ?? "eu-west-1";
  const account = input.account ?? "000000000000";
  const destination = [...(input.destination ?? ["recipient@example.com"])];
  const tags: Record<string, string[]> = Object.fromEntries(
    Object.entries(input.tags).map(([name, value]) => [name, [value]]),
  );
  if (input.configurationSet) tags["ses:configuration-set"] = [input.configurationSet];
  const specific: Record<SesEventType, Record<string, unknown>> = {
    Send: { send: {} },
    Delivery: {
      delivery: {
        timestamp: at,
        processingTimeMillis: 500,
        recipients: destination,
        smtpResponse: "250 2.0.0 OK",
      },
    },
    Bounce: {
      bounce: {
        bounceType: "Permanent",
        bounceSubType: "General",
        bouncedRecipients: destination.map((emailAddress) => ({ emailAddress })),
        timestamp: at,
        feedbackId: randomUUID(),
      },
    },
    Complaint: {
      complaint: {
        complainedRecipients: destination.map((emailAddress) => ({ emailAddress })),
        timestamp: at,
        feedbackId: randomUUID(),
        complaintFeedbackType: "abuse",
      },
    },
    Reject: { reject: { reason: "Bad content" } },
  };
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": sesDetailTypes[input.type],
    source: "aws.ses",
    account,
    time: at.replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [`arn:aws:ses:${region}:${account}:configuration-set/${input.configurationSet ?? "unknown"}`],
    detail: {
      eventType: input.type,
      mail: {
        timestamp: (input.sentAt ?? new Date()).toISOString(),
        source: input.source ?? "sender@example.com",
        sendingAccountId: account,
        messageId: input.messageId,
        destination,
        tags,
      },
      ...specific[input.type],
    },
  };
}

export type SesEventEnvelope = ReturnType<typeof sesEvent>;

const hopByHop = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "expect",
]);

export interface SesEventsProxy {
  /** Point the functions' SES client here (AWS_ENDPOINT_URL_SES). */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** SES v1's form-encoded `Tags.member.N.Name/Value`. */
function tagsOf(form: URLSearchParams): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let index = 1; form.has(`Tags.member.${index}.Name`); index++) {
    tags[String(form.get(`Tags.member.${index}.Name`))] = String(
      form.get(`Tags.member.${index}.Value`) ?? "",
    );
  }
  return tags;
}

/**
 * Forwards every request to the SES emulator at `target`; after each accepted `SendEmail` with a configuration
 * set, hands `emit` the mail's Send and Delivery events (in that order, not awaited by the sender).
 */
export async function startSesEventsProxy(options: {
  readonly target: string;
  readonly emit: (event: SesEventEnvelope) => Promise<void>;
  readonly region?: string;
  readonly account?: string;
}): Promise<SesEventsProxy> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const upstream = await fetch(new URL(request.url ?? "/", options.target), {
        method: request.method ?? "GET",
        // Every header as sent (the local SES wants the signature's), less those of this connection.
        headers: Object.fromEntries(
          Object.entries(request.headers).filter(
            (entry): entry is [string, string] => typeof entry[1] === "string" && !hopByHop.has(entry[0]),
          ),
        ),
        ...(request.method === "GET" || request.method === "HEAD" ? {} : { body }),
      });
      const answer = await upstream.text();
      response.writeHead(upstream.status, {
        "content-type": upstream.headers.get("content-type") ?? "text/xml",
      });
      response.end(answer);
      const form = new URLSearchParams(body);
      const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(answer)?.[1];
      const configurationSet = form.get("ConfigurationSetName");
      if (
        !upstream.ok ||
        !messageId ||
        !configurationSet ||
        !/^Send(Raw)?Email$/.test(form.get("Action") ?? "")
      )
        return;
      const mail = {
        messageId,
        tags: tagsOf(form),
        configurationSet,
        source: form.get("Source") ?? undefined,
        destination: form.getAll("Destination.ToAddresses.member.1"),
        sentAt: new Date(),
        ...(options.region ? { region: options.region } : {}),
        ...(options.account ? { account: options.account } : {}),
      };
      for (const type of ["Send", "Delivery"] as const) await options.emit(sesEvent({ ...mail, type }));
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502).end(String(error));
    });
  });
  const port = await listen(server);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}
