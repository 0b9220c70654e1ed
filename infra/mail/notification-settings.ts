import { z } from "zod";
import type { Db } from "../../engine/store";

// Where operator notifications go by email (Settings → Notifications): the settings router,
// the settings service and the senders read the same schema.

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

/** The stored settings; a row that no longer parses reads as the defaults. */
export async function readNotificationSettings(db: Db): Promise<NotificationSettings> {
  const row = await db.setting.findUnique({ where: { key: NOTIFICATION_SETTING_KEY } });
  const parsed = NotificationSettingsSchema.safeParse(row?.value ?? {});
  return parsed.success ? parsed.data : NotificationSettingsSchema.parse({});
}
