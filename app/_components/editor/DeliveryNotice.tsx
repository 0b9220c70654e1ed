import Link from "next/link";
import type { DeliveryWarning } from "../canvas/flow-model";

/** The config panel's explanation for an email step marked "outbox only" (or "will fail") on the canvas. */
export function DeliveryNotice({ warning }: { warning: DeliveryWarning }) {
  return (
    <div className={`callout ${warning.outcome === "fail" ? "callout-danger" : ""}`} role="note" data-testid="delivery-notice">
      <strong>{warning.outcome === "outbox" ? "This email will only reach the outbox." : "This step will fail."}</strong> Why: {warning.reason}.{" "}
      Add an SMTP credential in <Link href="/settings#credentials-heading">Settings → Credentials</Link> and name it in the <em>credential</em> field; mail
      already in the outbox stays there, marked not sent.
    </div>
  );
}
