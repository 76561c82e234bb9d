/** Runs the Ongoing simulator standalone for the local stack: `npx tsx simulators/ongoing/main.ts`. */
import { type SimulatorUser, startOngoingSimulator } from "./server.ts";

const port = Number(process.env.ONGOING_SIMULATOR_PORT ?? 3001);
// More API users than the default two (a benchmark over many goods owners): a JSON array of {username, password, goodsOwnerId}.
const users = process.env.ONGOING_SIMULATOR_USERS
  ? (JSON.parse(process.env.ONGOING_SIMULATOR_USERS) as SimulatorUser[])
  : undefined;
const simulator = await startOngoingSimulator({
  port,
  host: process.env.ONGOING_SIMULATOR_HOST ?? "127.0.0.1",
  ...(users ? { users } : {}),
});
console.log(
  `Ongoing simulator: API ${simulator.baseUrl} admin ${simulator.adminUrl} (user demo / demo-password, goods owner 159)`,
);
// Started by another process (the benchmark): tell it where, over the IPC channel.
process.send?.({ baseUrl: simulator.baseUrl, adminUrl: simulator.adminUrl });

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`Ongoing simulator: ${signal}, stopping`);
  await simulator.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
// Started by another process (the benchmark): go when it goes, however it ended.
process.on("disconnect", () => void stop("parent gone"));
