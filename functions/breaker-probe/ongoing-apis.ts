/**
 * Which of Ongoing's APIs the consumers behind the Ongoing breaker use, so the probe asks each of them: a breaker
 * opened by an Automation-API-only outage must not half-open because the REST API answers (and cycle).
 */

import type { BreakerConsumer, GoodsOwnerSettings } from "../shared/contract/settings.ts";
import type { OngoingApi } from "../shared/goods-owners.ts";

interface ApiSettings {
  readonly ONGOING_TRANSPORT_API: OngoingApi;
  readonly GOODS_OWNERS: GoodsOwnerSettings;
}

/** The Ongoing APIs a consumer (a use-case or the reconcile's worker) calls under these settings. */
export function ongoingApisOf(useCase: BreakerConsumer["useCase"], settings: ApiSettings): Set<OngoingApi> {
  switch (useCase) {
    case "order-shipped-email":
    case "article-sync":
    case "article-reconcile":
      return new Set(["rest"]);
    case "transport-status":
      return new Set(["automation"]);
    case "transport-booking": {
      const owners = Object.values(settings.GOODS_OWNERS);
      // The default applies to every goods owner not listed, so it is always in use.
      const apis = new Set<OngoingApi>([settings.ONGOING_TRANSPORT_API]);
      for (const owner of owners) if (owner.transportApi) apis.add(owner.transportApi);
      // Printing is an Automation API call whatever API books.
      if (owners.some((owner) => owner.printing)) apis.add("automation");
      return apis;
    }
  }
}

/** The APIs to probe for the Ongoing breaker: every one its consumers use; REST when none is listed. */
export function ongoingApisToProbe(
  consumers: readonly BreakerConsumer[],
  settings: ApiSettings,
): readonly OngoingApi[] {
  const apis = new Set<OngoingApi>();
  for (const consumer of consumers) {
    if (!consumer.dependencies.includes("ongoing")) continue;
    for (const api of ongoingApisOf(consumer.useCase, settings)) apis.add(api);
  }
  return apis.size === 0 ? ["rest"] : [...apis].sort((a, b) => b.localeCompare(a));
}
