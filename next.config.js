/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The panel runs behind our own server (server/main.ts), which also hosts socket.io.
  serverExternalPackages: ["argon2", "@libsql/client", "pg", "@prisma/adapter-libsql", "@prisma/adapter-pg"],
  typescript: { ignoreBuildErrors: false },
};
module.exports = nextConfig;
