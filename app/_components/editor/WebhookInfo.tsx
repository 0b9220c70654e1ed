"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../_trpc/client";

// A webhook trigger's address, a curl command that calls it signed (HMAC-SHA256 of
// "<unix seconds>.<body>" with the workflow's signing secret), and a button that creates (or
// replaces) that secret. The secret is shown once, right after it is made, and never again.

export function WebhookInfo({ workflowId, slug }: { workflowId: string; slug: string }) {
  const trpc = useTRPC();
  const rotate = useMutation(trpc.webhook.rotateSecret.mutationOptions());
  const [copied, setCopied] = useState(false);
  const url = `${typeof window === "undefined" ? "" : window.location.origin}/api/webhooks/${encodeURIComponent(slug)}`;
  const curl = [
    `SECRET='${rotate.data?.secret ?? "whsec_…"}'`,
    `BODY='{"hello":"world"}'`,
    `TS=$(date +%s)`,
    `SIG=$(printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')`,
    `curl -X POST '${url}' -H 'content-type: application/json' -H "x-keel-timestamp: $TS" -H "x-keel-signature: sha256=$SIG" -d "$BODY"`,
  ].join("\n");
  const copy = async () => {
    await navigator.clipboard.writeText(curl).then(
      () => setCopied(true),
      () => setCopied(false),
    );
    setTimeout(() => setCopied(false), 2_000);
  };
  return (
    <section className="webhook-info" aria-labelledby="webhook-heading" data-testid="webhook-info">
      <h3 id="webhook-heading">Webhook address</h3>
      <code className="webhook-url" data-testid="webhook-url">
        POST {url}
      </code>
      <p className="muted">Calls need an API token (Authorization: Bearer …) or a signature made with this workflow{"'"}s signing secret. The run starts from the published version.</p>
      <pre className="curl" data-testid="webhook-curl">
        {curl}
      </pre>
      <div className="button-row">
        <button type="button" className="button-quiet" onClick={() => void copy()}>
          {copied ? "Copied" : "Copy curl"}
        </button>
        <button type="button" className="button-quiet" onClick={() => rotate.mutate({ workflowId })} disabled={rotate.isPending}>
          {rotate.data ? "Replace signing secret" : "Create signing secret"}
        </button>
      </div>
      {rotate.data ? (
        <p className="callout" role="status" data-testid="webhook-secret">
          Signing secret (shown once; a new one replaces it): <code className="secret">{rotate.data.secret}</code>
        </p>
      ) : null}
      {rotate.isError ? (
        <p className="form-error" role="alert">
          {rotate.error.message}
        </p>
      ) : null}
    </section>
  );
}
