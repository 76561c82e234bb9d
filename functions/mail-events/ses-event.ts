/**
 * The part of SES's sending events (see `shared/contract/ses-events.ts`) that the mail-events function uses.
 */
import * as z from "zod";
import { sesEventTypes } from "../shared/contract/ses-events.ts";

const tagId = z
  .array(z.string().regex(/^\d+$/, "an id (digits)"))
  .min(1)
  .transform((values) => Number(values[0]));

/** The part of an SES event (EventBridge envelope, SES event-publishing record as `detail`) that is used. */
export const sesEventSchema = z.looseObject({
  source: z.literal("aws.ses"),
  detail: z.looseObject({
    eventType: z.enum(sesEventTypes),
    mail: z.looseObject({
      messageId: z.string().min(1),
      timestamp: z.string().min(1),
      tags: z.looseObject({
        goodsOwnerId: tagId,
        orderId: tagId,
        /** The webhook's trail event id (trail/model.ts trailEventIdTag); absent on mails sent without one. */
        trailEventId: z.array(z.string()).optional(),
      }),
    }),
    delivery: z.looseObject({ timestamp: z.string().optional() }).optional(),
    bounce: z
      .looseObject({
        bounceType: z.string().optional(),
        bounceSubType: z.string().optional(),
        timestamp: z.string().optional(),
      })
      .optional(),
    complaint: z
      .looseObject({ complaintFeedbackType: z.string().optional(), timestamp: z.string().optional() })
      .optional(),
    reject: z.looseObject({ reason: z.string().optional() }).optional(),
  }),
});
export type SesEvent = z.infer<typeof sesEventSchema>;
