/**
 * Runs the transport-system simulator on its own (local stack, manual testing):
 *   TRANSPORT_SIMULATOR_PORT=3002 npx tsx simulators/transport/main.ts
 * Optional env: TRANSPORT_SIMULATOR_HOST (127.0.0.1), TRANSPORT_SIMULATOR_LATENCY_MS (0),
 * TRANSPORT_SIMULATOR_AUTH_HEADER + TRANSPORT_SIMULATOR_AUTH_VALUE (require that header value).
 */
import { startTransportSimulator } from "./server.ts";

const env = process.env;
const authValue = env.TRANSPORT_SIMULATOR_AUTH_VALUE;
const simulator = await startTransportSimulator({
  port: Number(env.TRANSPORT_SIMULATOR_PORT ?? 3002),
  host: env.TRANSPORT_SIMULATOR_HOST ?? "127.0.0.1",
  latencyMs: Number(env.TRANSPORT_SIMULATOR_LATENCY_MS ?? 0),
  ...(authValue
    ? { auth: { headerName: env.TRANSPORT_SIMULATOR_AUTH_HEADER ?? "Authorization", value: authValue } }
    : {}),
});
process.stdout.write(
  `transport simulator: bookings at ${simulator.bookingUrl}, admin at ${simulator.adminUrl}\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void simulator.stop().then(() => process.exit(0));
  });
}
