import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{bin,lib,functions,simulators,local,scripts,test,devkit}/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start their own emulators on free ports; two cores, so keep parallelism modest.
    maxWorkers: 2,
    env: { POWERTOOLS_DEV: "false", POWERTOOLS_LOG_LEVEL: "SILENT", AWS_REGION: "eu-west-1" },
  },
});
