/**
 * The architecture rules (docs/architecture-rules.md), checked by `npm run arch` in `npm test`: every violation
 * fails it (there is no baseline of known ones).
 */
const testFile = "\\.(test|suite|support)\\.ts$"; // test code: tests, the suites they run, their helpers

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle makes modules inseparable and their load order fragile; type-only cycles count too.",
      from: {},
      to: { circular: true },
    },
    {
      name: "lib-only-contract",
      severity: "error",
      comment:
        "The CDK app (lib/, bin/) reads only the contract layer (functions/shared/contract/) of the Lambda code: runtime code must not run at synth.",
      from: { path: "^(lib|bin)/", pathNot: testFile },
      to: {
        path: "^(functions|local|test|bench|scripts|simulators|devkit)/",
        pathNot: "^functions/shared/contract/",
      },
    },
    {
      name: "contract-is-pure",
      severity: "error",
      comment:
        "The contract layer is plain values and schemas: it imports only itself, zod and Node's core (no AWS SDK, Powertools or CDK).",
      from: { path: "^functions/shared/contract/", pathNot: testFile },
      to: {
        pathNot: ["^functions/shared/contract/", "node_modules/zod/"],
        dependencyTypesNot: ["core"],
      },
    },
    {
      name: "runtime-not-to-tooling",
      severity: "error",
      comment:
        "Lambda code (functions/) never imports the CDK app, the local stack, tests, benchmarks, scripts, simulators or the dev kit: it is bundled alone.",
      from: { path: "^functions/", pathNot: testFile },
      to: { path: "^(lib|bin|local|test|bench|scripts|simulators|devkit)/" },
    },
    {
      name: "no-cross-use-case",
      severity: "error",
      comment:
        "A use-case folder (functions/<use-case>/) imports functions/shared/ and itself only; what two use-cases share belongs in functions/shared/.",
      from: { path: "^functions/([^/]+)/", pathNot: "^functions/shared/" },
      to: { path: "^functions/", pathNot: ["^functions/shared/", "^functions/$1/"] },
    },
    {
      name: "shipped-not-to-test-or-bench",
      severity: "error",
      comment:
        "Shipped code (functions/, lib/, bin/, local/, simulators/, scripts/, devkit/) never imports test/ or bench/; shared helpers belong in the shipped folder that owns them.",
      from: { path: "^(functions|lib|bin|local|simulators|scripts|devkit)/", pathNot: testFile },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "tests-not-to-bench",
      severity: "error",
      comment:
        "Benchmarks use the shared helpers, they are not a library: tests take payload builders, ledgers and fault proxies from where the benchmarks take them too.",
      from: { path: "^test/" },
      to: { path: "^bench/" },
    },
    {
      name: "scripts-are-entry-points",
      severity: "error",
      comment:
        "scripts/ holds command-line entry points (tests run them): the CLIs' runner, payload builders and other shared helpers live in devkit/.",
      from: { pathNot: ["^scripts/", "^test/"] },
      to: { path: "^scripts/" },
    },
  ],
  options: {
    includeOnly: "^(functions|lib|bin|local|test|bench|scripts|simulators|devkit)/",
    exclude: "^(node_modules|cdk\\.out|\\.local)/",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
