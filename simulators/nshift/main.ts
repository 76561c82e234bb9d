/**
 * Runs the nShift Delivery simulator on its own (manual testing):
 *   NSHIFT_SIMULATOR_PORT=3004 npx tsx simulators/nshift/main.ts
 * Optional env: NSHIFT_SIMULATOR_HOST (127.0.0.1), NSHIFT_SIMULATOR_KEY_ID + NSHIFT_SIMULATOR_KEY_SECRET (the API
 * key accepted; default simulator / simulator-secret).
 */
import { startNshiftSimulator } from "./server.ts";

const env = process.env;
const simulator = await startNshiftSimulator({
  port: Number(env.NSHIFT_SIMULATOR_PORT ?? 3004),
  host: env.NSHIFT_SIMULATOR_HOST ?? "127.0.0.1",
  apiKey: {
    id: env.NSHIFT_SIMULATOR_KEY_ID ?? "simulator",
    secret: env.NSHIFT_SIMULATOR_KEY_SECRET ?? "simulator-secret",
  },
});
process.stdout.write(`nShift simulator: REST API at ${simulator.baseUrl}, admin at ${simulator.adminUrl}\n`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void simulator.stop().then(() => process.exit(0));
  });
}
