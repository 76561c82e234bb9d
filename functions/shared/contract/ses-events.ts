/**
 * SES's sending events as EventBridge delivers them from a configuration set's event destination: the event
 * types recorded and their EventBridge detail types (the stack's rule matches them; the function parses them).
 */

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
