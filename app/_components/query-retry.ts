// Shared retry policy for tRPC queries: a 4xx (not found, bad request, ...) will not get
// better by asking again, so show it at once; anything else gets a couple of retries.
export function retryUnlessClientError(
  failureCount: number,
  error: { data?: { httpStatus?: number } | null },
): boolean {
  const status = error.data?.httpStatus;
  if (typeof status === "number" && status >= 400 && status < 500) return false;
  return failureCount < 2;
}
