/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The panel runs behind our own server (server/main.ts), which also hosts socket.io.
  serverExternalPackages: ["argon2", "@libsql/client", "pg", "@prisma/adapter-libsql", "@prisma/adapter-pg"],
  // `npm run typecheck` (a suite of the test command) checks the whole repo, tests
  // and benches included; the production build does not repeat it, so one
  // unfinished test file cannot stop the panel from starting.
  typescript: { ignoreBuildErrors: true },
};
module.exports = nextConfig;
