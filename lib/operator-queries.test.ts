import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { useCases } from "../functions/shared/contract/routes.ts";
import { createApp } from "./app.ts";
import { metadataKey } from "./metadata.ts";
import { operatorQueries } from "./operator-queries.ts";

const cdkContext = (
  JSON.parse(readFileSync(new URL("../cdk.json", import.meta.url), "utf8")) as {
    context: Record<string, unknown>;
  }
).context;

let template: Template;

beforeAll(() => {
  const { app, stack } = createApp({
    context: { ...cdkContext, "aws:cdk:bundling-stacks": [] },
    outdir: mkdtempSync(join(tmpdir(), "ongoing-webhooks-cdk-")),
  });
  // cdk-nag runs on synth: the new resources must pass it too.
  app.synth();
  template = Template.fromStack(stack);
});

type Resource = { Properties: Record<string, unknown> };
const resources = (type: string) => Object.values(template.findResources(type)) as Resource[];

/** The log group (logical id) of the function tagged with this metadata. */
function logGroupOf(metadata: Record<string, string>): string {
  const functions = template.findResources("AWS::Lambda::Function", {
    Metadata: { [metadataKey]: metadata },
  }) as Record<string, { Properties: { LoggingConfig: { LogGroup: { Ref: string } } } }>;
  const [fn] = Object.values(functions);
  if (!fn) throw new Error(`no function ${JSON.stringify(metadata)}`);
  return fn.Properties.LoggingConfig.LogGroup.Ref;
}

describe("operator queries and the failures-by-goods-owner rule", () => {
  it("saves each query once, in the stack's folder, scoped to the stack's own log groups", () => {
    const definitions = resources("AWS::Logs::QueryDefinition");
    expect(definitions).toHaveLength(operatorQueries.length);
    const consumerGroups = [
      ...useCases.map((useCase) => logGroupOf({ kind: "consumer", useCase })),
      logGroupOf({ kind: "consumer", useCase: "article-reconcile" }),
    ];
    for (const query of operatorQueries) {
      const definition = definitions.find((candidate) =>
        JSON.stringify(candidate.Properties.Name).includes(query.name),
      );
      expect(definition, query.name).toBeDefined();
      const groups = ((definition?.Properties.LogGroupNames ?? []) as { Ref: string }[]).map(
        (group) => group.Ref,
      );
      if (query.sources.includes("consumers")) expect(groups).toEqual(expect.arrayContaining(consumerGroups));
      const expected =
        consumerGroups.length * Number(query.sources.includes("consumers")) +
        Number(query.sources.includes("ingress")) +
        Number(query.sources.includes("mail-events"));
      expect(groups, query.name).toHaveLength(expected);
    }
  });

  it("counts failure lines per goods owner over the consumers' JSON logs, on the dashboard", () => {
    const [rule] = resources("AWS::CloudWatch::InsightRule");
    expect(resources("AWS::CloudWatch::InsightRule")).toHaveLength(1);
    const body = JSON.stringify(rule?.Properties.RuleBody);
    expect(body).toContain('\\"LogFormat\\":\\"JSON\\"');
    expect(body).toContain('\\"Keys\\":[\\"$.goodsOwnerId\\"]');
    expect(body).toContain(logGroupOf({ kind: "consumer", useCase: "order-shipped-email" }));
    expect(rule?.Properties.RuleState).toBe("ENABLED");

    const [dashboard] = resources("AWS::CloudWatch::Dashboard");
    const dashboardBody = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(dashboardBody).toContain("insightRule");
    expect(dashboardBody).toContain("Goods owners with the most failures");
  });
});
