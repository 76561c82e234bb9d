/**
 * Runs the transport-system simulator on its own (local stack, manual testing):
 *   TRANSPORT_SIMULATOR_PORT=3002 npx tsx simulators/transport/main.ts
 * Optional env: TRANSPORT_SIMULATOR_HOST (127.0.0.1), TRANSPORT_SIMULATOR_LATENCY_MS (0),
 * TRANSPORT_SIMULATOR_AUTH_HEADER + TRANSPORT_SIMULATOR_AUTH_VALUE (require that header value),
 * TRANSPORT_SIMULATOR_DETAILS=true (transporter order number, freight, return waybill in each booking),
 * TRANSPORT_SIMULATOR_STATUS_CALLBACK_URL (+ _TOKEN, sent as X-Auth-Token): post status events after each booking.
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
  details: env.TRANSPORT_SIMULATOR_DETAILS === "true",
  ...(env.TRANSPORT_SIMULATOR_STATUS_CALLBACK_URL
    ? {
        statusCallbacks: {
          url: env.TRANSPORT_SIMULATOR_STATUS_CALLBACK_URL,
          headers: env.TRANSPORT_SIMULATOR_STATUS_CALLBACK_TOKEN
            ? { "X-Auth-Token": env.TRANSPORT_SIMULATOR_STATUS_CALLBACK_TOKEN }
            : {},
        },
      }
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
