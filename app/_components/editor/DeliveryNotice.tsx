import Link from "next/link";
import type { DeliveryWarning } from "../canvas/flow-model";

const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;

/** The config panel's explanation for an email step marked "outbox only" (or "will fail") on the canvas. */
export function DeliveryNotice({ warning }: { warning: DeliveryWarning }) {
  return (
    <div className={`callout ${warning.outcome === "fail" ? "callout-danger" : ""}`} role="note" data-testid="delivery-notice">
      <strong>{warning.outcome === "outbox" ? "This email will only reach the outbox." : "This step will fail."}</strong> {sentence(warning.reason)}{" "}
      <Link href="/settings#credentials-heading">Add an SMTP credential in Settings → Credentials</Link>
      {warning.reason.startsWith("names no") ? " and name it in the Credential field below." : "."}
    </div>
  );
}
