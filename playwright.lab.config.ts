import { defineConfig } from "@playwright/test";

/**
 * The panel ↔ agent loop in a browser with the agents on the real kernel:
 * the built panel on the host (fresh SQLite), three real agents in the lab VM
 * (lab/control.mjs). Separate from playwright.config.ts (its files end in
 * `.lab.ts`, which the normal suite's default testMatch does not pick up):
 *
 *   npm run agent:build && npx next build      (once)
 *   npx playwright test -c playwright.lab.config.ts
 */
process.env.E2E_PORT ??= "3108"; // e2e/helpers/api.ts reads it
const port = Number(process.env.E2E_PORT);
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "e2e/lab",
  testMatch: "**/*.lab.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // the VM may wait for another engineer's lab run (global lock) before it boots
  timeout: 20 * 60_000,
  expect: { timeout: 30_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    actionTimeout: 30_000,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  webServer: {
    command: "bash e2e/start-panel.sh",
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: { PORT: String(port), E2E_DB_DIR: ".tmp/e2e-lab", E2E_APP_DIR: ".tmp/e2e-lab-app" },
  },
});
