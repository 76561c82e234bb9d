/**
 * The synthesized stack as the lib tests read it: the app from cdk.json's context (plus overrides), synthesized
 * with the cdk-nag checks and without bundling, and helpers that find resources in its template.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { expect } from "vitest";
import { createApp } from "./app.ts";
import { metadataKey } from "./metadata.ts";

/** cdk.json's context: the example deployment every stack test starts from. */
export const cdkContext = (
  JSON.parse(readFileSync(new URL("../cdk.json", import.meta.url), "utf8")) as {
    context: Record<string, unknown>;
  }
).context;

/** The stack's template and its JSON text, synthesized from cdk.json's context with `context` on top. */
export function synthesizeStack(context: Record<string, unknown> = {}): { template: Template; json: string } {
  // Bundling is skipped here (the template is what is asserted); `npx cdk synth` bundles for real.
  const { app, stack } = createApp({
    context: { ...cdkContext, "aws:cdk:bundling-stacks": [], ...context },
    outdir: mkdtempSync(join(tmpdir(), "ongoing-webhooks-cdk-")),
  });
  // The cdk-nag AwsSolutions checks run here: any unacknowledged finding throws.
  app.synth();
  const template = Template.fromStack(stack);
  return { template, json: JSON.stringify(template.toJSON()) };
}

/** The stack the suites (`*.suite.ts`) assert on, synthesized once by the test file that runs them. */
export let template: Template;
export let json: string;

/** Synthesizes the stack the suites read (call in the running test file's `beforeAll`). */
export function synthesizeSharedStack(context: Record<string, unknown> = {}): void {
  ({ template, json } = synthesizeStack(context));
}

/** Helpers over the template that `current` returns (set in a `beforeAll`). */
export function templateHelpers(current: () => Template) {
  const resourcesOf = (type: string) =>
    Object.values(current().findResources(type)) as {
      Properties: Record<string, unknown>;
      Metadata?: Record<string, unknown>;
      DeletionPolicy?: string;
    }[];

  /** The logical id of the one queue or function with this OngoingWebhooks metadata. */
  function logicalIdOf(metadata: Record<string, string>): string {
    const ids = ["AWS::SQS::Queue", "AWS::Lambda::Function"].flatMap((type) =>
      Object.keys(current().findResources(type, { Metadata: { [metadataKey]: metadata } })),
    );
    expect(ids, JSON.stringify(metadata)).toHaveLength(1);
    return ids[0] ?? "";
  }

  /**
   * The dashboard's metric rows, grouped by the large header ("# …") they follow. The body is a Fn::Join of JSON
   * text and references; each reference becomes `{{LogicalId}}`, which leaves valid JSON to read. A row is the
   * metric's identity without its options (`[namespace, name, dimension, value, …]`), or a search expression.
   */
  function dashboardSections(): Map<string, Array<string[] | string>> {
    const [dashboard] = resourcesOf("AWS::CloudWatch::Dashboard");
    if (!dashboard) throw new Error("no dashboard in the template");
    const [, parts] = (dashboard.Properties.DashboardBody as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
    const body = parts
      .map((part) => {
        if (typeof part === "string") return part;
        const ref = part as { Ref?: string; "Fn::GetAtt"?: [string, string] };
        return `{{${ref.Ref ?? ref["Fn::GetAtt"]?.[0]}}}`;
      })
      .join("");
    const widgets = (JSON.parse(body) as { widgets: Array<{ properties: Record<string, unknown> }> }).widgets;
    const sections = new Map<string, Array<string[] | string>>();
    let rows: Array<string[] | string> = [];
    for (const { properties } of widgets) {
      const header = /^# (.+)$/.exec(String(properties.markdown ?? ""));
      if (header?.[1]) {
        rows = [];
        sections.set(header[1], rows);
      }
      for (const row of (properties.metrics ?? []) as unknown[][]) {
        const expression = (row[0] as { expression?: string } | undefined)?.expression;
        if (expression !== undefined) rows.push(expression);
        else rows.push(row.filter((cell): cell is string => typeof cell === "string"));
      }
    }
    return sections;
  }

  return { resourcesOf, logicalIdOf, dashboardSections };
}
