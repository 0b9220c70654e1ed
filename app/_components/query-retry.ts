// Shared retry policy for tRPC queries: a 4xx (not found, bad request, ...) will not get
// better by asking again, so show it at once; anything else gets a couple of retries.
export function retryUnlessClientError(failureCount: number, error: unknown): boolean {
  const status = (error as { data?: { httpStatus?: unknown } | null }).data?.httpStatus;
  if (typeof status === "number" && status >= 400 && status < 500) return false;
  return failureCount < 2;
}
