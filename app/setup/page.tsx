"use client";

import { useMutation } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { Suspense, useState, type FormEvent } from "react";
import { AuthCard } from "../_components/AuthCard";
import { useTRPC } from "../_trpc/client";

function SetupForm() {
  const trpc = useTRPC();
  const token = useSearchParams().get("token") ?? "";
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const setup = useMutation(trpc.auth.setup.mutationOptions({ onSuccess: () => window.location.assign("/") }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setMismatch(password !== confirm);
    if (password === confirm) setup.mutate({ token, password });
  };
  return (
    <form onSubmit={submit} className="form">
      <p className="muted">Choose the password that guards this Keel. At least 10 characters; a passphrase is best.</p>
      <label htmlFor="password">Password</label>
      <input id="password" type="password" autoComplete="new-password" required minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} />
      <label htmlFor="confirm">Repeat it</label>
      <input id="confirm" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
      {mismatch ? (
        <p className="form-error" role="alert">
          The two passwords differ.
        </p>
      ) : setup.isError ? (
        <p className="form-error" role="alert">
          {setup.error.message}
        </p>
      ) : null}
      <button type="submit" className="button-primary" disabled={setup.isPending}>
        Set password and sign in
      </button>
    </form>
  );
}

export default function SetupPage() {
  return (
    <AuthCard title="Set up Keel">
      <Suspense>
        <SetupForm />
      </Suspense>
    </AuthCard>
  );
}
