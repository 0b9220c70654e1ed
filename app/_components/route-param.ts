/** A dynamic route segment as the page means it: decoded, or as it came when it is not valid %-encoding. */
export function routeParam(segment: string | string[] | undefined): string {
  if (typeof segment !== "string") return "";
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
