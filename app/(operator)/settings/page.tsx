"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "../../_trpc/client";
import { LlmSettings } from "./LlmSettings";
import { SaveResult } from "../../_components/SaveResult";

function ApiTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.auth.tokens.list.queryOptions());
  const [name, setName] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.auth.tokens.list.queryKey() });
  const create = useMutation(trpc.auth.tokens.create.mutationOptions({ onSuccess: () => void refresh() }));
  const revoke = useMutation(trpc.auth.tokens.revoke.mutationOptions({ onSuccess: () => void refresh() }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name }, { onSuccess: () => setName("") });
  };

  return (
    <section className="panel" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p className="muted">
        For scripts and webhooks: send <code>Authorization: Bearer &lt;token&gt;</code>. A token is shown once, when it is created; Keel
        keeps only a hash of it.
      </p>
      <form onSubmit={submit} className="form form-inline">
        <label htmlFor="token-name">Name</label>
        <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Zapier" required maxLength={80} />
        <button type="submit" className="button-primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {create.isError ? (
        <p className="form-error" role="alert">
          {create.error.message}
        </p>
      ) : null}
      {create.data ? (
        <div className="callout" role="status" data-testid="new-token">
          <p>
            Copy the token for <strong>{create.data.name}</strong> now; it will not be shown again:
          </p>
          <code className="secret">{create.data.token}</code>
        </div>
      ) : null}
      {tokens.isError ? (
        <p className="form-error" role="alert">
          {tokens.error.message}
        </p>
      ) : tokens.data && tokens.data.length > 0 ? (
        <table className="table" data-testid="token-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Token</th>
              <th>Created</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>{new Date(token.createdAt).toLocaleString()}</td>
                <td>{token.lastUsedAt ? new Date(token.lastUsedAt).toLocaleString() : "never"}</td>
                <td>
                  {token.revokedAt ? (
                    <span className="badge badge-muted">revoked</span>
                  ) : (
                    <button type="button" className="button-quiet" onClick={() => revoke.mutate({ id: token.id })}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : tokens.data ? (
        <p className="state state-empty">No tokens yet</p>
      ) : null}
    </section>
  );
}

function Retention() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.settings.retention.queryOptions());
  const [days, setDays] = useState<string | undefined>(undefined);
  const save = useMutation(
    trpc.settings.saveRetention.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.settings.retention.queryKey(), saved);
        setDays(undefined);
      },
    }),
  );
  const value = days ?? (current.data ? String(current.data.runPayloadDays) : "");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ runPayloadDays: Number(value) });
  };
  return (
    <section className="panel" aria-labelledby="retention-heading">
      <h2 id="retention-heading">Retention</h2>
      <p className="muted">
        Inputs, outputs and step data of finished runs are kept this long, then replaced by tombstones; what happened, when and with what
        status stays. Pruning runs daily, and <code>keel prune</code> runs it on demand.
      </p>
      <form onSubmit={submit} className="form form-inline">
        <label htmlFor="retention-days">Keep run payloads for</label>
        <input id="retention-days" type="number" min={1} step={1} required value={value} onChange={(e) => setDays(e.target.value)} style={{ width: 100 }} />
        <span>days</span>
        <button type="submit" className="button-primary" disabled={save.isPending || current.isPending}>
          Save
        </button>
      </form>
      <SaveResult save={save} />
    </section>
  );
}

function Notifications() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.settings.notifications.queryOptions());
  const [draft, setDraft] = useState<{ operatorEmail: string; smtpCredential: string } | undefined>(undefined);
  const save = useMutation(
    trpc.settings.saveNotifications.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.settings.notifications.queryKey(), saved);
        setDraft(undefined);
      },
    }),
  );
  const value = draft ?? current.data ?? { operatorEmail: "", smtpCredential: "" };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(value);
  };
  return (
    <section className="panel" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">Notifications by email</h2>
      <p className="muted">
        When an approval or a form starts waiting, before its deadline, and for Notify me steps that ask for it, Keel also emails this
        address. Without an SMTP credential the email stays in the outbox, marked not sent.
      </p>
      <form onSubmit={submit} className="form" noValidate>
        <label htmlFor="operator-email">Operator email</label>
        <input id="operator-email" type="email" value={value.operatorEmail} onChange={(e) => setDraft({ ...value, operatorEmail: e.target.value })} placeholder="you@example.com" maxLength={320} />
        <label htmlFor="notification-smtp">SMTP credential (name)</label>
        <input id="notification-smtp" value={value.smtpCredential} onChange={(e) => setDraft({ ...value, smtpCredential: e.target.value })} placeholder="e.g. mail" maxLength={200} />
        <button type="submit" className="button-primary" disabled={save.isPending || current.isPending}>
          Save email settings
        </button>
      </form>
      <SaveResult save={save} />
    </section>
  );
}

function EgressAllowlist() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.settings.egressAllowlist.queryOptions());
  const [text, setText] = useState<string | undefined>(undefined);
  const save = useMutation(
    trpc.settings.saveEgressAllowlist.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.settings.egressAllowlist.queryKey(), saved);
        setText(undefined);
      },
    }),
  );
  const value = text ?? (current.data ? current.data.entries.join("\n") : "");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ entries: value.split("\n").map((line) => line.trim()).filter(Boolean) });
  };
  return (
    <section className="panel" aria-labelledby="egress-heading">
      <h2 id="egress-heading">Egress allowlist</h2>
      <p className="muted">
        HTTP request steps refuse private, loopback and link-local addresses (your network, this machine, cloud metadata). List here the
        internal services they may reach, one per line: a hostname (<code>api.internal</code>, <code>*.corp.example</code>), an address or a
        range (<code>10.0.0.5</code>, <code>10.1.0.0/16</code>, <code>fd00::/8</code>), optionally with a port (<code>127.0.0.1:8080</code>).
      </p>
      <form onSubmit={submit} className="form">
        <label htmlFor="egress-entries">Allowed destinations</label>
        <textarea id="egress-entries" rows={4} value={value} onChange={(e) => setText(e.target.value)} spellCheck={false} />
        <div>
          <button type="submit" className="button-primary" disabled={save.isPending || current.isPending}>
            Save allowlist
          </button>
        </div>
      </form>
      <SaveResult save={save} />
    </section>
  );
}

const EMPTY_API = { name: "", kind: "bearer" as "bearer" | "basic" | "header", token: "", user: "", password: "", header: "X-Api-Key", value: "", capacity: "", refill: "" };

/** Credentials for HTTP request steps (`auth`), with an optional rate limit shared by all workers. */
function ApiCredentialForm({ onSaved }: { onSaved: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const [form, setForm] = useState(EMPTY_API);
  const create = useMutation(trpc.credential.create.mutationOptions({ onSuccess: () => void onSaved().then(() => setForm(EMPTY_API)) }));
  const field = (key: Exclude<keyof typeof EMPTY_API, "kind">) => ({ value: form[key], onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const secret = form.kind === "bearer" ? { token: form.token } : form.kind === "basic" ? { user: form.user, password: form.password } : { name: form.header, value: form.value };
    const limited = form.capacity !== "" || form.refill !== "";
    create.mutate({ name: form.name, kind: form.kind, secret, ...(limited ? { rateLimit: { capacity: Number(form.capacity), refillPerSecond: Number(form.refill) } } : {}) });
  };
  return (
    <>
      <form onSubmit={submit} className="form" aria-label="New API credential">
        <label htmlFor="api-name">Name (used as auth.credential in HTTP request steps)</label>
        <input id="api-name" required {...field("name")} placeholder="shop-api" />
        <label htmlFor="api-kind">Kind</label>
        <select id="api-kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value as typeof form.kind })}>
          <option value="bearer">Bearer token</option>
          <option value="basic">Basic (user and password)</option>
          <option value="header">Header (name and value)</option>
        </select>
        {form.kind === "bearer" ? (
          <>
            <label htmlFor="api-token">Token</label>
            <input id="api-token" type="password" autoComplete="new-password" required {...field("token")} />
          </>
        ) : form.kind === "basic" ? (
          <>
            <label htmlFor="api-user">User</label>
            <input id="api-user" autoComplete="off" required {...field("user")} />
            <label htmlFor="api-password">Password</label>
            <input id="api-password" type="password" autoComplete="new-password" required {...field("password")} />
          </>
        ) : (
          <>
            <label htmlFor="api-header">Header name</label>
            <input id="api-header" required {...field("header")} />
            <label htmlFor="api-value">Header value</label>
            <input id="api-value" type="password" autoComplete="new-password" required {...field("value")} />
          </>
        )}
        <label htmlFor="api-capacity">Rate limit: burst (optional)</label>
        <input id="api-capacity" inputMode="numeric" {...field("capacity")} placeholder="e.g. 10 requests" />
        <label htmlFor="api-refill">Rate limit: requests per second (optional)</label>
        <input id="api-refill" inputMode="decimal" {...field("refill")} placeholder="e.g. 2" />
        <button type="submit" className="button-primary" disabled={create.isPending}>
          Save API credential
        </button>
      </form>
      {create.isError ? (
        <p className="form-error" role="alert">
          {create.error.message}
        </p>
      ) : null}
    </>
  );
}

const EMPTY_SMTP = { name: "", host: "", port: "587", user: "", password: "", from: "" };

function Credentials() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.credential.list.queryOptions());
  const [form, setForm] = useState(EMPTY_SMTP);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.credential.list.queryKey() });
  const create = useMutation(trpc.credential.create.mutationOptions({ onSuccess: () => void refresh().then(() => setForm(EMPTY_SMTP)) }));
  const remove = useMutation(trpc.credential.remove.mutationOptions({ onSuccess: () => void refresh() }));
  const field = (key: keyof typeof EMPTY_SMTP) => ({ value: form[key], onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({
      name: form.name,
      kind: "smtp",
      secret: { host: form.host, port: Number(form.port), secure: form.port === "465", ...(form.user ? { user: form.user, password: form.password } : {}), from: form.from },
    });
  };
  return (
    <section className="panel" aria-labelledby="credentials-heading">
      <h2 id="credentials-heading">Credentials</h2>
      <p className="muted">
        Secrets that steps use (an SMTP login for email, a token for an API). They are encrypted at rest, never shown again after saving,
        and replaced by <code>[redacted:name]</code> in anything a step stores.
      </p>
      {list.data && list.data.length > 0 ? (
        <table className="table" data-testid="credential-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Rate limit</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.map((c) => (
              <tr key={c.name}>
                <td>
                  <code>{c.name}</code>
                </td>
                <td>{c.kind}</td>
                <td>{c.rateLimit ? `${c.rateLimit.capacity} burst, ${c.rateLimit.refillPerSecond}/s` : "none"}</td>
                <td>{c.lastUsedAt ? new Date(c.lastUsedAt).toLocaleString() : "never"}</td>
                <td>
                  <button type="button" className="button-quiet" onClick={() => remove.mutate({ name: c.name })}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : list.data ? (
        <p className="state state-empty">No credentials yet</p>
      ) : null}
      <form onSubmit={submit} className="form" aria-label="New SMTP credential">
        <label htmlFor="cred-name">Name (used in email steps)</label>
        <input id="cred-name" required {...field("name")} placeholder="mail" />
        <label htmlFor="cred-host">SMTP host</label>
        <input id="cred-host" required {...field("host")} placeholder="smtp.example.com" />
        <label htmlFor="cred-port">Port</label>
        <input id="cred-port" required inputMode="numeric" {...field("port")} />
        <label htmlFor="cred-user">User</label>
        <input id="cred-user" autoComplete="off" {...field("user")} />
        <label htmlFor="cred-password">Password</label>
        <input id="cred-password" type="password" autoComplete="new-password" {...field("password")} />
        <label htmlFor="cred-from">From</label>
        <input id="cred-from" required {...field("from")} placeholder="You <you@example.com>" />
        <button type="submit" className="button-primary" disabled={create.isPending}>
          Save SMTP credential
        </button>
      </form>
      {create.isError ? (
        <p className="form-error" role="alert">
          {create.error.message}
        </p>
      ) : null}
      <ApiCredentialForm onSaved={refresh} />
    </section>
  );
}

function EngineSwitch() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const paused = useQuery(trpc.settings.enginePaused.queryOptions());
  const toggle = useMutation(
    trpc.settings.setEnginePaused.mutationOptions({ onSuccess: (r) => queryClient.setQueryData(trpc.settings.enginePaused.queryKey(), r.paused) }),
  );
  return (
    <section className="panel" aria-labelledby="engine-heading">
      <h2 id="engine-heading">Engine</h2>
      <p className="muted">Pausing all work lets every step in progress finish, then takes no new runs until you resume.</p>
      <p role="status" data-testid="engine-state">
        {paused.data === undefined ? "…" : paused.data ? "All work is paused." : "Runs are being worked."}
      </p>
      <button type="button" className="button-quiet" disabled={paused.data === undefined || toggle.isPending} onClick={() => toggle.mutate({ paused: !paused.data })}>
        {paused.data ? "Resume all work" : "Pause all work"}
      </button>
    </section>
  );
}

export default function SettingsPage() {
  return (
    <section>
      <div className="page-header">
        <h1>Settings</h1>
      </div>
      <ApiTokens />
      <Credentials />
      <LlmSettings />
      <Notifications />
      <Retention />
      <EgressAllowlist />
      <EngineSwitch />
    </section>
  );
}
