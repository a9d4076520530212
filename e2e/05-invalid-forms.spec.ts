/**
 * Bad input gets a clear message under the field it is about and changes
 * nothing: a bad VIP, port 0 and 70000, a scheduler the kernel does not have,
 * a direct-routing real server on another port than the VIP's (IPVS remaps
 * ports only with NAT) and a duplicate (protocol, VIP, port). Each is tried in
 * the dialogs (what a person sees) and sent straight to the API (the server
 * checks on its own, with the same field paths); the database is compared
 * before and after through the API.
 */
import { expect, test, type Locator } from "@playwright/test";
import { refused } from "./helpers/api";
import { fillNewRealServer, fillNewService, serviceRow } from "./helpers/editor";
import { createCluster, createService, databaseState, signInAsAdmin } from "./helpers/panel";

const VIP = "192.0.2.60";

/** The field is marked invalid and its message is attached to it (aria-describedby), i.e. shown under it. */
async function expectFieldError(field: Locator, message: string | RegExp) {
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(field).toHaveAccessibleDescription(message);
}

test("invalid services and real servers show field errors and leave the database unchanged", async ({ page }) => {
  const admin = await signInAsAdmin(page);
  const cluster = await createCluster(admin, "validation");
  const service = await createService(admin, cluster.id, { protocol: "TCP", address: VIP, port: 80, scheduler: "wlc" }, [
    { address: "198.51.100.61" },
  ]);
  const before = await databaseState(admin, cluster.id);

  await page.goto(`/clusters/${cluster.id}`);
  await expect(serviceRow(page, VIP, 80)).toBeVisible();

  await test.step("new service dialog: bad VIP, port 0, port 70000, unknown scheduler, duplicate", async () => {
    const dialog = await fillNewService(page, { address: "192.0.2.300", port: "80", scheduler: "rr" });
    const create = dialog.getByRole("button", { name: "Create service" });
    const vip = dialog.getByLabel("Virtual IP (VIP)");
    const port = dialog.getByLabel("Port", { exact: true });
    const scheduler = dialog.getByLabel("Scheduler", { exact: true });

    await create.click();
    await expectFieldError(vip, "Not a valid IPv4 or IPv6 address");
    await expect(dialog.getByTestId("field-error-address")).toBeVisible();

    await vip.fill("192.0.2.61");
    await expect(vip).not.toHaveAttribute("aria-invalid", "true"); // editing clears the message
    for (const bad of ["0", "70000"]) {
      await port.fill(bad);
      await create.click();
      await expectFieldError(port, "Port must be between 1 and 65535");
    }
    await port.fill("http");
    await create.click();
    await expectFieldError(port, "Enter a whole number");
    await page.screenshot({ path: test.info().outputPath("service-port-error.png") });

    // The select offers only known schedulers; a value from elsewhere (an old form, a crafted page) is still refused.
    await port.fill("80");
    await scheduler.evaluate((select: HTMLSelectElement) => select.add(new Option("fastest — not a scheduler", "fastest")));
    await scheduler.selectOption("fastest");
    await create.click();
    await expectFieldError(scheduler, /Unknown scheduler; choose one of rr, wrr, lc, wlc/);

    // Valid on its own, but TCP 192.0.2.60:80 exists: the server says so under the port.
    await scheduler.selectOption("rr");
    await vip.fill(VIP);
    await create.click();
    await expectFieldError(port, `TCP ${VIP}:80 already exists in this cluster`);
    await page.screenshot({ path: test.info().outputPath("service-duplicate-error.png") });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
  });

  await test.step("add real server dialog: DR cannot remap the port; bad address", async () => {
    const dialog = await fillNewRealServer(page, serviceRow(page, VIP, 80), { address: "198.51.100.62", port: "8080", forwarding: "DR" });
    const add = dialog.getByRole("button", { name: "Add real server" });
    await add.click();
    await expectFieldError(
      dialog.getByLabel("Port", { exact: true }),
      "DR forwarding cannot remap port 80 to 8080 (IPVS rewrites ports only with NAT); use port 80 or switch to NAT",
    );
    await page.screenshot({ path: test.info().outputPath("real-server-remap-error.png") });

    await dialog.getByLabel("Port", { exact: true }).fill("");
    await dialog.getByLabel("Address").fill("198.51.100.999");
    await add.click();
    await expectFieldError(dialog.getByLabel("Address"), "Not a valid IPv4 or IPv6 address");

    await dialog.getByLabel("Address").fill("198.51.100.61");
    await add.click();
    await expectFieldError(dialog.getByLabel("Address"), "198.51.100.61:80 is already a real server of this service");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
  });

  await test.step("the API refuses the same input on its own, with the same field paths", async () => {
    const svc = (fields: Record<string, unknown>) =>
      admin.mutate("services.create", { clusterId: cluster.id, protocol: "TCP", address: "192.0.2.62", port: 80, scheduler: "rr", ...fields });
    const cases: [string, Promise<Awaited<ReturnType<typeof svc>>>, string, string, RegExp][] = [
      ["bad VIP", svc({ address: "192.0.2.300" }), "BAD_REQUEST", "address", /Not a valid IPv4 or IPv6 address/],
      ["port 0", svc({ port: 0 }), "BAD_REQUEST", "port", /between 1 and 65535/],
      ["port 70000", svc({ port: 70000 }), "BAD_REQUEST", "port", /between 1 and 65535/],
      ["unknown scheduler", svc({ scheduler: "fastest" }), "BAD_REQUEST", "scheduler", /Unknown scheduler/],
      ["duplicate service", svc({ address: VIP }), "CONFLICT", "port", /already exists in this cluster/],
      [
        "DR remap inside a new service",
        svc({ realServers: [{ address: "198.51.100.63" }, { address: "198.51.100.64", port: 8080, forwarding: "DR" }] }),
        "BAD_REQUEST",
        "realServers.1.port",
        /cannot remap port 80 to 8080/,
      ],
      [
        "DR remap on an existing service",
        admin.mutate("realServers.create", { virtualServiceId: service.id, address: "198.51.100.62", port: 8080, forwarding: "DR" }),
        "BAD_REQUEST",
        "port",
        /cannot remap port 80 to 8080/,
      ],
    ];
    for (const [name, call, code, field, message] of cases) {
      const result = refused(await call, code);
      expect(result.fieldErrors?.[field]?.join(" "), `${name}: ${JSON.stringify(result.fieldErrors)}`).toMatch(message);
    }
  });

  await test.step("nothing changed: services, real servers, counts and the audit log are as before", async () => {
    expect(await databaseState(admin, cluster.id)).toEqual(before);
  });
});
