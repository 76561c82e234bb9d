/**
 * The stack synthesized from cdk.json's context, asserted by subject in the suites beside it (one synthesis for
 * all of them: it is the slow part).
 */
import { beforeAll } from "vitest";
import { synthesizeSharedStack } from "./stack-template.support.ts";
import "./stack-ingress.suite.ts";
import "./stack-consumers.suite.ts";
import "./stack-permissions.suite.ts";
import "./stack-stores-and-schedules.suite.ts";
import "./stack-monitoring.suite.ts";

beforeAll(() => {
  synthesizeSharedStack();
});
