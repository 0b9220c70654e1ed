// The one answer to "does this link or redirect stay in Keel?", for the sign-in redirect,
// notification links and email links alike. Prefix checks on the text ("starts with / but not
// //") miss what URL parsers do: drop tabs and newlines, read a backslash as a slash. So the
// target is resolved against the app's origin exactly as a browser would, and the origins compared.

/** The path (with query and fragment) `target` leads to from `origin`, or undefined when it leaves that origin. */
export function sameOriginPath(target: string, origin: string): string | undefined {
  let base: URL;
  let url: URL;
  try {
    base = new URL(origin);
    url = new URL(target, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base.origin) return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}
