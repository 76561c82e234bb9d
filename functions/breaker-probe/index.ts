/**
 * The breaker probe, run on a schedule: asks every dependency with an open breaker whether it answers again,
 * and pauses or resumes the consumers' event sources to match (see probe.ts).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { lambdaClient } from "../shared/aws/lambda.ts";
import { queueDepth, sqsClient } from "../shared/aws/sqs.ts";
import { BreakerStore } from "../shared/breaker/store.ts";
import { breakerProbeSettingsSchema } from "../shared/contract/settings.ts";
import { settingsOf } from "../shared/function-settings.ts";
import { logger } from "../shared/powertools/logger.ts";
import { metrics } from "../shared/powertools/metrics.ts";
import { ongoingCheck, sesCheck, transportCheck } from "./checks.ts";
import { probeBreakers } from "./probe.ts";

const settings = settingsOf(breakerProbeSettingsSchema);
const transport = transportCheck(settings);
const checks = {
  ongoing: ongoingCheck(settings),
  ses: sesCheck(),
  ...(transport ? { transport } : {}),
};
const store = new BreakerStore(settings.STATE_TABLE_NAME);

async function mappingState(mappingId: string): Promise<string | undefined> {
  const { State } = await lambdaClient.send(new GetEventSourceMappingCommand({ UUID: mappingId }));
  return State;
}

async function setMappingEnabled(mappingId: string, enabled: boolean): Promise<void> {
  await lambdaClient.send(new UpdateEventSourceMappingCommand({ UUID: mappingId, Enabled: enabled }));
}

/** One EMF line per value: a single metric is published as soon as it is added. */
function publish(dependency: string, name: string, value: number): void {
  const single = metrics.singleMetric();
  single.addDimension("dependency", dependency);
  single.addMetric(name, MetricUnit.Count, value);
}

export async function handler(_event: unknown, context: Context) {
  logger.addContext(context);
  const report = await probeBreakers({
    store,
    checks,
    consumers: settings.BREAKER_CONSUMERS,
    mappingState,
    setMappingEnabled,
    waiting: (queueUrl) => queueDepth(sqsClient, queueUrl),
    probeIntervalSeconds: settings.BREAKER_PROBE_INTERVAL_SECONDS,
  });
  const now = Date.now();
  for (const breaker of report.breakers) {
    const openMinutes = breaker.openedAt ? Math.round((now - Date.parse(breaker.openedAt)) / 60_000) : 0;
    publish(breaker.dependency, "BreakerOpen", breaker.position === "closed" ? 0 : 1);
    publish(breaker.dependency, "BreakerOpenMinutes", openMinutes);
    publish(breaker.dependency, "WebhooksWaiting", breaker.waiting);
    if (breaker.position !== "closed") {
      logger.warn(
        `${breaker.dependency} unavailable since ${breaker.openedAt ?? "unknown"}, ${breaker.waiting} webhooks waiting`,
        { ...breaker },
      );
    }
  }
  for (const { useCase, reason } of report.deferred) {
    logger.warn(`event source of ${useCase} left for the next run: ${reason}`, { useCase, reason });
  }
  if (report.paused.length > 0 || report.resumed.length > 0) {
    logger.info("event sources changed", { paused: report.paused, resumed: report.resumed });
  }
  return report;
}
