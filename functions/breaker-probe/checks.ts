/**
 * The probe's questions to each dependency: a cheap read, never a real message. Healthy means the dependency
 * answered (a 401 is an answer: Ongoing is up, a goods owner's credentials are a per-message matter); unhealthy
 * means it did not, or SES cannot send now (sending paused, or the day's quota used up: wait for it).
 */
import { GetAccountCommand } from "@aws-sdk/client-sesv2";
import type { z } from "zod";
import { sesV2Client } from "../shared/aws/sesv2.ts";
import type { breakerProbeSettingsSchema } from "../shared/contract/settings.ts";
import { describeError, PermanentError } from "../shared/errors.ts";
import { sendHttp } from "../shared/http.ts";
import { automationUrlFrom, createAutomationClient } from "../shared/ongoing/automation.ts";
import { callOngoing, type OngoingCallBudget, userAgent } from "../shared/ongoing/call.ts";
import {
  authorization,
  credentialsFromSecret,
  credentialsPerAttempt,
  tokenSettingsOf,
} from "../shared/ongoing/credentials.ts";
import { getSecretString } from "../shared/secrets.ts";
import { ongoingApisToProbe } from "./ongoing-apis.ts";
export interface CheckResult {
  readonly healthy: boolean;
  /** Log-safe: what was asked and what came back. */
  readonly detail: string;
}
export type Check = () => Promise<CheckResult>;

type Settings = z.output<typeof breakerProbeSettingsSchema>;

const unavailable = (status: number) => status === 408 || status === 425 || status === 429 || status >= 500;

/**
 * Every Ongoing API the breaker's consumers use (ongoing-apis.ts), each asked once: healthy when all answer. An
 * Automation API the consumers need but no Automation login is configured for cannot be asked, and is left out.
 */
export function ongoingCheck(settings: Settings): Check {
  const apis = ongoingApisToProbe(settings.BREAKER_CONSUMERS, settings);
  const checks = apis.flatMap((api) => {
    if (api === "rest") return [restCheck(settings)];
    const automation = automationCheck(settings);
    return automation ? [automation] : [];
  });
  if (checks.length === 1 && checks[0]) return checks[0];
  return async () => {
    const results = await Promise.all(checks.map((check) => check()));
    return {
      healthy: results.every((result) => result.healthy),
      detail: results.map((result) => result.detail).join("; "),
    };
  };
}

/** `GET orders/statuses`: one small authenticated read, answered by any warehouse. */
function restCheck(settings: Settings): Check {
  const secretName =
    settings.ONGOING_CREDENTIALS_SECRET ??
    Object.values(settings.GOODS_OWNERS).find((owner) => owner.credentialsSecretName)?.credentialsSecretName;
  // Either login shape: Basic, or an OAuth client whose bearer token is fetched, cached and renewed on a 401.
  const credentials = secretName ? credentialsFromSecret(secretName, tokenSettingsOf(settings)) : undefined;
  const url = new URL("orders/statuses", settings.ONGOING_BASE_URL.replace(/\/?$/, "/")).toString();
  const budget: OngoingCallBudget = {
    timeoutMs: settings.ONGOING_REQUEST_TIMEOUT_MS,
    maxAttempts: 1,
    remainingTimeMs: () => 60_000,
  };
  return async () => {
    const credentialsFor = credentials ? credentialsPerAttempt(credentials, budget) : undefined;
    try {
      const status = await callOngoing(
        {
          operation: "probe",
          method: "GET",
          url,
          async prepare(forceFetch) {
            const headers: Record<string, string> = { Accept: "application/json", "User-Agent": userAgent };
            if (credentialsFor) headers.Authorization = authorization(await credentialsFor(forceFetch));
            return { headers };
          },
          interpret: (response) =>
            unavailable(response.status)
              ? { retry: { code: "ongoing-unavailable", message: `answered ${response.status}` } }
              : { done: response.status },
        },
        budget,
      );
      return { healthy: true, detail: `GET orders/statuses answered ${status}` };
    } catch (error) {
      // Ongoing's login service refusing the probe's OAuth client is an answer too, like a 401 from the API.
      if (error instanceof PermanentError && error.code === "ongoing-token-refused") {
        return { healthy: true, detail: "Ongoing's login service answered, refusing the probe's client" };
      }
      return { healthy: false, detail: `GET orders/statuses: ${describeError(error)}` };
    }
  };
}

/**
 * Automation API `GetOrdersByQuery` for an order id no warehouse has (0): one indexed read of nothing. Any SOAP
 * answer (none found, a login fault, a refusal) means the API is up; no answer, a 5xx without SOAP or a server
 * fault means it is not.
 */
export function automationCheck(settings: Settings): Check | undefined {
  const secretName = settings.ONGOING_AUTOMATION_CREDENTIALS_SECRET;
  if (!secretName) return undefined;
  const client = createAutomationClient({
    url: automationUrlFrom(settings.ONGOING_BASE_URL),
    credentials: credentialsFromSecret(secretName, tokenSettingsOf(settings)),
    timeoutMs: settings.ONGOING_REQUEST_TIMEOUT_MS,
    maxAttempts: 1,
    remainingTimeMs: () => 60_000,
  });
  const goodsOwnerId = Number(Object.keys(settings.GOODS_OWNERS)[0] ?? 0);
  return async () => {
    try {
      await client.getOrder(goodsOwnerId, 0);
      return { healthy: true, detail: "Automation GetOrdersByQuery answered" };
    } catch (error) {
      if (error instanceof PermanentError) {
        return { healthy: true, detail: `Automation GetOrdersByQuery answered: ${error.code}` };
      }
      return { healthy: false, detail: `Automation GetOrdersByQuery: ${describeError(error)}` };
    }
  };
}

/** SES GetAccount: sending enabled and quota left for today. */
export function sesCheck(): Check {
  return async () => {
    try {
      const account = await sesV2Client.send(new GetAccountCommand({}), {
        abortSignal: AbortSignal.timeout(10_000),
      });
      if (account.SendingEnabled === false) {
        return { healthy: false, detail: "SES sending is paused for the account (SendingEnabled false)" };
      }
      const quota = account.SendQuota;
      const max = quota?.Max24HourSend;
      // SES reports -1 for no daily limit.
      if (max !== undefined && max >= 0 && (quota?.SentLast24Hours ?? 0) >= max) {
        return {
          healthy: false,
          detail: `SES daily quota used up (${quota?.SentLast24Hours} of ${max} in the last 24 hours)`,
        };
      }
      return { healthy: true, detail: "SES GetAccount: sending enabled, quota left" };
    } catch (error) {
      return { healthy: false, detail: `SES GetAccount: ${describeError(error)}` };
    }
  };
}

/** `GET` on the adapter's URL: any answer but "unavailable" (5xx, 408, 425, 429) or none means it is up. */
export function transportCheck(settings: Settings): Check | undefined {
  const url = settings.TRANSPORT_ADAPTER_URL;
  if (!url) return undefined;
  return async () => {
    try {
      const headers: Record<string, string> = { accept: "application/json" };
      if (settings.TRANSPORT_ADAPTER_AUTH_SECRET) {
        headers[settings.TRANSPORT_ADAPTER_AUTH_HEADER.toLowerCase()] = await getSecretString(
          settings.TRANSPORT_ADAPTER_AUTH_SECRET,
        );
      }
      const response = await sendHttp({
        method: "GET",
        url,
        headers,
        timeoutMs: settings.TRANSPORT_ADAPTER_TIMEOUT_MS,
      });
      return {
        healthy: !unavailable(response.status),
        detail: `GET on the transport adapter answered ${response.status}`,
      };
    } catch (error) {
      return { healthy: false, detail: `GET on the transport adapter: ${describeError(error)}` };
    }
  };
}
