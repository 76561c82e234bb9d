/** Lambda entry of the transport-status use-case. */
import { createConsumer } from "../shared/pipeline/consumer.ts";
import { transportStatus } from "./definition.ts";

export const handler = createConsumer(transportStatus);
