import { z } from "zod";

// Where operator notifications go by email (Settings → Notifications). Browser-safe: the
// settings page, the settings service and the senders read the same schema.

export const NOTIFICATION_SETTING_KEY = "notifications";

export const NotificationSettingsSchema = z
  .object({
    /** The operator's address; without one, notifications stay in Keel only. */
    operatorEmail: z.union([z.literal(""), z.email("must be an email address").max(320)]).default(""),
    /** The SMTP credential to send with; without one, the email waits in the outbox marked not sent. */
    smtpCredential: z.string().max(200).default(""),
  })
  .strict();

export type NotificationSettings = z.output<typeof NotificationSettingsSchema>;
