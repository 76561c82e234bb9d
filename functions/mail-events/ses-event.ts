/**
 * SES's sending events as EventBridge delivers them from a configuration set's event destination: the event
 * types recorded, their EventBridge detail types (the stack's rule matches them) and the part of the event used.
 * Pure data, so the CDK stack reads the same names the function parses.
 */
import * as z from "zod";

/** The SES event types recorded on a shipped-mail record. */
export const sesEventTypes = ["Send", "Delivery", "Bounce", "Complaint", "Reject"] as const;
export type SesEventType = (typeof sesEventTypes)[number];

/** The EventBridge rule's detail types, one per SES event type recorded. */
export const sesDetailTypes: Record<SesEventType, string> = {
  Send: "Email Sent",
  Delivery: "Email Delivered",
  Bounce: "Email Bounced",
  Complaint: "Email Complaint Received",
  Reject: "Email Rejected",
};

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
