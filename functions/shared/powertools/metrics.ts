/** The one configured metrics instance (CloudWatch EMF) every function uses. */
import { Metrics } from "@aws-lambda-powertools/metrics";
import { metricsNamespace } from "../contract/names.ts";

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? metricsNamespace,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "ongoing-webhooks",
});
