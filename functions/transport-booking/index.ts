/** Lambda entry of the transport-booking use-case. */
import { createConsumer } from "../shared/pipeline/consumer.ts";
import { transportBooking } from "./definition.ts";

export const handler = createConsumer(transportBooking);
