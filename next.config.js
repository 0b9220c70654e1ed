/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native drivers and the generated Prisma clients stay out of the bundle.
  serverExternalPackages: ["better-sqlite3", "pg", "@prisma/client", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "chromadb"],
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
};

export default nextConfig;
