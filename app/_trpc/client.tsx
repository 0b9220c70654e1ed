"use client";

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import type { AppRouter } from "../../server/trpc/router";
import { retryUnlessClientError } from "../_components/query-retry";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

// Set while the operator signs out: the requests still in flight then answer 401 by design, and
// must not send the page to "sign in again, then back here" ahead of the sign-out's own /login.
let signingOut = false;
export function signOutStarted() {
  signingOut = true;
}

// A session that ends while a page is open sends the operator back to sign in, then here.
function signInAgainOnUnauthorized(error: unknown) {
  if (signingOut) return;
  if (error instanceof TRPCClientError && error.data?.code === "UNAUTHORIZED" && !window.location.pathname.startsWith("/login")) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        queryCache: new QueryCache({ onError: signInAgainOnUnauthorized }),
        mutationCache: new MutationCache({ onError: signInAgainOnUnauthorized }),
        defaultOptions: { queries: { staleTime: 5_000, refetchOnWindowFocus: false, retry: retryUnlessClientError } },
      }),
  );
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          // Live updates (run.onChange) stream over SSE; the session cookie goes with them.
          condition: (op) => op.type === "subscription",
          true: httpSubscriptionLink({ url: "/api/trpc" }),
          // The header proves a mutation comes from Keel's own pages (server/http/request-guards.ts).
          false: httpBatchLink({ url: "/api/trpc", headers: { "x-keel-csrf": "1" } }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
