/**
 * Driving the cluster editor's dialogs the way a person does: by their titles
 * and field labels (components/clusters/*-dialog.tsx).
 */
import { expect, type Locator, type Page } from "@playwright/test";

export interface ServiceForm {
  protocol?: "TCP" | "UDP";
  address: string;
  port: string;
  scheduler?: string;
  persistenceTimeout?: string;
  description?: string;
}

export interface RealServerForm {
  address: string;
  port?: string;
  forwarding?: "DR" | "NAT" | "TUN";
  weight?: string;
}

export function serviceDialog(page: Page): Locator {
  return page.getByTestId("service-dialog");
}

export function realServerDialog(page: Page): Locator {
  return page.getByTestId("real-server-dialog");
}

/** The row of a TCP/UDP service in the services table. */
export function serviceRow(page: Page, address: string, port: number, protocol?: "TCP" | "UDP"): Locator {
  const row = page.getByTestId(`service-row-${address}:${port}`);
  return protocol ? row.and(page.locator(`[data-protocol="${protocol}"]`)) : row;
}

export function realServerRow(page: Page, address: string, port: number): Locator {
  return page.getByTestId(`rs-row-${address}:${port}`);
}

/** Opens "New virtual service" and fills it in; does not submit. */
export async function fillNewService(page: Page, form: ServiceForm): Promise<Locator> {
  await page.getByTestId("new-service-button").click();
  const dialog = serviceDialog(page);
  await expect(dialog.getByRole("heading", { name: "New virtual service" })).toBeVisible();
  if (form.protocol) await dialog.getByLabel("Protocol").selectOption(form.protocol);
  await dialog.getByLabel("Virtual IP (VIP)").fill(form.address);
  await dialog.getByLabel("Port", { exact: true }).fill(form.port);
  if (form.scheduler) await dialog.getByLabel("Scheduler", { exact: true }).selectOption(form.scheduler);
  if (form.persistenceTimeout !== undefined) await dialog.getByLabel("Persistence timeout (s)").fill(form.persistenceTimeout);
  if (form.description !== undefined) await dialog.getByLabel("Description").fill(form.description);
  return dialog;
}

/** Creates a service through its dialog and waits for its row. */
export async function addService(page: Page, form: ServiceForm): Promise<Locator> {
  const dialog = await fillNewService(page, form);
  await dialog.getByRole("button", { name: "Create service" }).click();
  await expect(dialog).toBeHidden();
  const row = serviceRow(page, form.address, Number(form.port), form.protocol);
  await expect(row).toBeVisible();
  return row;
}

/** Opens "Add real server" on a service row and fills it in; does not submit. */
export async function fillNewRealServer(page: Page, service: Locator, form: RealServerForm): Promise<Locator> {
  await service.getByRole("button", { name: /^Add real server to / }).click();
  const dialog = realServerDialog(page);
  await expect(dialog.getByRole("heading", { name: "Add real server" })).toBeVisible();
  await dialog.getByLabel("Address").fill(form.address);
  if (form.port !== undefined) await dialog.getByLabel("Port").fill(form.port);
  if (form.forwarding) await dialog.getByLabel("Forwarding").selectOption(form.forwarding);
  if (form.weight !== undefined) await dialog.getByLabel("Weight").fill(form.weight);
  return dialog;
}

/** Adds a real server through its dialog and waits for its nested row. */
export async function addRealServer(page: Page, service: Locator, servicePort: number, form: RealServerForm): Promise<Locator> {
  const dialog = await fillNewRealServer(page, service, form);
  await dialog.getByRole("button", { name: "Add real server" }).click();
  await expect(dialog).toBeHidden();
  const row = realServerRow(page, form.address, form.port ? Number(form.port) : servicePort);
  await expect(row).toBeVisible();
  return row;
}
