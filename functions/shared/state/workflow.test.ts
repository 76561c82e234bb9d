import { describe, expect, it } from "vitest";
import { useLocalAws } from "../../../test/support/env.ts";

const aws = useLocalAws({ dynamo: { tablePrefix: "workflow" } });

async function store() {
  const { WorkflowStore } = await import("./workflow.ts");
  return new WorkflowStore<{ waybill?: string }>({
    tableName: aws.tables.state,
    kind: "test-booking",
    ttlSeconds: 3600,
  });
}

describe("WorkflowStore", () => {
  it("starts a workflow once and returns the existing one afterwards", async () => {
    const workflows = await store();
    const first = await workflows.start("159#1", "booking", {});
    expect(first.created).toBe(true);
    const second = await workflows.start("159#1", "other", {});
    expect(second.created).toBe(false);
    expect(second.workflow.step).toBe("booking");
  });

  it("advances on the version read and refuses a stale move", async () => {
    const workflows = await store();
    const { workflow } = await workflows.start("159#2", "booking", {});
    const booked = await workflows.advance(workflow, "booked", { waybill: "W1" });
    expect(await workflows.get("159#2")).toMatchObject({
      step: "booked",
      version: 2,
      data: { waybill: "W1" },
    });
    await expect(workflows.advance(workflow, "booked", { waybill: "W2" })).rejects.toMatchObject({
      name: "WorkflowConflictError",
      code: "workflow-conflict",
    });
    expect((await workflows.advance(booked, "written-back")).version).toBe(3);
  });

  it("lets exactly one of many concurrent starts and moves win", async () => {
    const workflows = await store();
    const starts = await Promise.all(
      Array.from({ length: 8 }, () => workflows.start("159#3", "booking", {})),
    );
    expect(starts.filter((start) => start.created)).toHaveLength(1);
    const read = starts[0]?.workflow;
    if (!read) throw new Error("no workflow");
    const moves = await Promise.allSettled(
      Array.from({ length: 8 }, () => workflows.advance(read, "booked")),
    );
    expect(moves.filter((move) => move.status === "fulfilled")).toHaveLength(1);
  });
});
