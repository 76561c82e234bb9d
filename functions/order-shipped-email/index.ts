/** Lambda entry of use-case 1 (shipped-order e-mail): the consumer pipeline around the use-case's story. */
import { createConsumer } from "../shared/pipeline/consumer.ts";
import { orderShippedEmail } from "./order-shipped-email.ts";

export const handler = createConsumer(orderShippedEmail);
