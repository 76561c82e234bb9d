import { describe, expect, it } from "vitest";
import type { BreakerConsumer, GoodsOwnerSettings } from "../shared/contract/settings.ts";
import { ongoingApisOf, ongoingApisToProbe } from "./ongoing-apis.ts";

const rest = { ONGOING_TRANSPORT_API: "rest" as const, GOODS_OWNERS: {} };
const consumer = (
  useCase: BreakerConsumer["useCase"],
  dependencies: BreakerConsumer["dependencies"] = ["ongoing"],
) => ({
  useCase,
  mappingId: useCase,
  queueUrl: useCase,
  dependencies,
});

describe("the Ongoing APIs the breaker's consumers use", () => {
  it("mail and article-sync read REST; transport-status reports through the Automation API", () => {
    expect([...ongoingApisOf("order-shipped-email", rest)]).toEqual(["rest"]);
    expect([...ongoingApisOf("article-sync", rest)]).toEqual(["rest"]);
    expect([...ongoingApisOf("transport-status", rest)]).toEqual(["automation"]);
  });

  it("transport-booking uses the default API, every goods owner's own, and Automation when any owner prints", () => {
    expect([...ongoingApisOf("transport-booking", rest)]).toEqual(["rest"]);
    expect([...ongoingApisOf("transport-booking", { ...rest, ONGOING_TRANSPORT_API: "automation" })]).toEqual(
      ["automation"],
    );
    const owners = { "159": { transportApi: "automation" } } as unknown as GoodsOwnerSettings;
    expect([...ongoingApisOf("transport-booking", { ...rest, GOODS_OWNERS: owners })].sort()).toEqual([
      "automation",
      "rest",
    ]);
    const printing = { "159": { printing: { reportId: 1 } } } as unknown as GoodsOwnerSettings;
    expect([...ongoingApisOf("transport-booking", { ...rest, GOODS_OWNERS: printing })].sort()).toEqual([
      "automation",
      "rest",
    ]);
  });

  it("probes the union over the consumers that depend on Ongoing, REST when there are none", () => {
    expect(ongoingApisToProbe([consumer("article-sync"), consumer("transport-status")], rest)).toEqual([
      "rest",
      "automation",
    ]);
    expect(ongoingApisToProbe([consumer("transport-status", ["ses"])], rest)).toEqual(["rest"]);
    expect(ongoingApisToProbe([], rest)).toEqual(["rest"]);
  });
});
