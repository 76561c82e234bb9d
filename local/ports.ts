/** The local stack's ports: a taken one fails fast, in one line naming the variable that moves it. */
import { createServer } from "node:http";
import { listen } from "./ingress.ts";
import { type PortName, portVariables } from "./settings.ts";

/** A port already taken: one line naming the port and the variable that moves it. */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
}

/** Runs `start`, turning "address in use" into a {@link PortInUseError}. */
export async function onPort<T>(name: PortName, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE") {
      throw new PortInUseError(
        `port ${port} (${name}) is already in use: stop what uses it or set ${portVariables[name].variable} to another port`,
      );
    }
    throw error;
  }
}

/** Fails fast (before the slow synthesis) when a fixed port is taken. */
export async function checkPortsFree(ports: [PortName, number][], host: string): Promise<void> {
  for (const [name, port] of ports) {
    if (port === 0) continue;
    await onPort(name, port, async () => {
      const probe = createServer();
      await listen(probe, port, host);
      await new Promise((resolve) => probe.close(resolve));
    });
  }
}
