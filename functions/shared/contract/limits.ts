/** Time limits the stack validates the configuration against and the functions work within. */

/** SQS's ceiling for a message's visibility timeout (12 hours). */
export const maxVisibilitySeconds = 12 * 3600;

/** Time kept back from the Lambda deadline so the outcome can still be recorded after SES answers. */
export const recordingReserveMs = 3_000;
/** The longest a mail waits for SES's answer. */
export const sesMaxWaitMs = 30_000;
/** Time a paced mail must still have after its slot: SES's whole time-out, then recording the outcome. */
export const mailPacingReserveMs = sesMaxWaitMs + recordingReserveMs;
