"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { Suspense, useState, type FormEvent } from "react";
import { AuthCard } from "../_components/AuthCard";
import { safeNextPath } from "../_components/safe-next";
import { useTRPC } from "../_trpc/client";

function LoginForm() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const status = useQuery(trpc.auth.status.queryOptions());
  const [password, setPassword] = useState("");
  const login = useMutation(trpc.auth.login.mutationOptions({ onSuccess: () => window.location.assign(safeNextPath(params.get("next"), window.location.origin)) }));

  if (status.data && !status.data.configured) {
    return (
      <p className="state" role="status">
        No password is set yet. Open the set-up link that <code>keel start</code> printed, or run <code>keel reset-password</code>.
      </p>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ password });
  };
  return (
    <form onSubmit={submit} className="form">
      <label htmlFor="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" autoFocus required value={password} onChange={(e) => setPassword(e.target.value)} />
      {login.isError ? (
        <p className="form-error" role="alert">
          {login.error.message}
        </p>
      ) : null}
      <button type="submit" className="button-primary" disabled={login.isPending}>
        {login.isPending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

export default function LoginPage() {
  return (
    <AuthCard title="Sign in">
      <Suspense>
        <LoginForm />
      </Suspense>
    </AuthCard>
  );
}
