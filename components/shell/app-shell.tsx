"use client";
/**
 * Panel frame: side navigation, account block (name, role badge, password,
 * sign out), theme toggle.
 *
 * testids: `nav-clusters`, `nav-hosts`, `nav-audit`, `nav-users`, `nav-tokens`
 * (admins only), `account-name`, `account-role`, `logout-button`.
 */
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Badge } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";
import { isAdmin, SessionProvider, type Role, type ShellUser } from "./session";
import { Logo } from "./logo";
import { ThemeToggle } from "./theme";

const ROLE_TONE: Record<Role, "accent" | "ok" | "neutral"> = { admin: "accent", operator: "ok", viewer: "neutral" };

export function RoleBadge({ role, testId }: { role: Role; testId?: string }) {
  return (
    <span data-testid={testId}>
      <Badge tone={ROLE_TONE[role]}>{role}</Badge>
    </span>
  );
}

interface NavItem {
  href: string;
  label: string;
  testId: string;
  icon: ReactNode;
}

const icon = (d: string) => (
  <svg width="15" height="15" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.4" aria-hidden>
    <path d={d} strokeLinecap="round" strokeLinejoin="round" />
  </svg>
);

const MAIN_NAV: NavItem[] = [
  { href: "/clusters", label: "Clusters", testId: "nav-clusters", icon: icon("M8 1.5v3M8 4.5 3 8m5-3.5L13 8M3 8v2.5M13 8v2.5M8 4.5v6M1.5 10.5h3v4h-3zM6.5 10.5h3v4h-3zM11.5 10.5h3v4h-3z") },
  { href: "/hosts", label: "Hosts", testId: "nav-hosts", icon: icon("M2 2.5h12v4H2zM2 9.5h12v4H2zM4.5 4.5h.01M4.5 11.5h.01") },
  { href: "/audit", label: "Audit log", testId: "nav-audit", icon: icon("M4 1.5h6l3 3v10H4zM10 1.5v3h3M6 8h5M6 10.5h5M6 13h3") },
];
const ADMIN_NAV: NavItem[] = [
  { href: "/users", label: "Users", testId: "nav-users", icon: icon("M6 7.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5ZM1.5 14c0-2.5 2-4 4.5-4s4.5 1.5 4.5 4M11 2.7a2.5 2.5 0 0 1 0 4.6M12.5 10.2c1.2.5 2 1.8 2 3.8") },
  { href: "/tokens", label: "API tokens", testId: "nav-tokens", icon: icon("M10 6a3.5 3.5 0 1 0-3 3.46L7 9.5V11h1.5v1.5H10V14h2.5v-2.5L9.46 8.46") },
];

function NavLink({ item, active }: { item: NavItem; active: boolean }) {
  return (
    <Link
      href={item.href}
      data-testid={item.testId}
      aria-current={active ? "page" : undefined}
      className={cn(
        "flex h-8 items-center gap-2.5 rounded-md px-2.5 text-[13px]",
        active ? "bg-accent-soft font-medium text-accent" : "text-fg-muted hover:bg-surface-3 hover:text-fg",
      )}
    >
      {item.icon}
      {item.label}
    </Link>
  );
}

export function AppShell({ user, children }: { user: ShellUser; children: ReactNode }) {
  const pathname = usePathname();
  const router = useRouter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => {
        queryClient.clear();
        router.replace("/login");
        router.refresh();
      },
    }),
  );
  const isActive = (href: string) => pathname === href || pathname.startsWith(`${href}/`);

  return (
    <SessionProvider user={user}>
      <div className="flex min-h-screen">
        <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-surface focus:px-3 focus:py-2">
          Skip to content
        </a>
        <aside className="sticky top-0 flex h-screen w-56 shrink-0 flex-col border-r border-line bg-surface">
          <div className="flex h-12 items-center gap-2 border-b border-line px-4">
            <Logo />
            <span className="font-mono text-[13px] font-semibold tracking-tight">lvs-control</span>
            <span className="ml-auto">
              <ThemeToggle compact />
            </span>
          </div>
          <nav aria-label="Main" className="flex-1 space-y-0.5 overflow-y-auto p-2">
            {MAIN_NAV.map((item) => (
              <NavLink key={item.href} item={item} active={isActive(item.href)} />
            ))}
            {isAdmin(user.role) && (
              <>
                <p className="px-2.5 pt-4 pb-1 text-[11px] font-semibold tracking-wide text-fg-subtle uppercase">Administration</p>
                {ADMIN_NAV.map((item) => (
                  <NavLink key={item.href} item={item} active={isActive(item.href)} />
                ))}
              </>
            )}
          </nav>
          <div className="border-t border-line p-2">
            <div className="flex items-center gap-2 px-2 pt-1 pb-2">
              <p data-testid="account-name" className="min-w-0 truncate text-[13px] font-medium" title={user.username}>
                {user.username}
              </p>
              <RoleBadge role={user.role} testId="account-role" />
            </div>
            <div className="flex items-center justify-between gap-1 whitespace-nowrap">
              <Link
                href="/account"
                className={cn("rounded-md px-2 py-1 text-xs hover:bg-surface-3 hover:text-fg", isActive("/account") ? "font-medium text-accent" : "text-fg-muted")}
                aria-current={isActive("/account") ? "page" : undefined}
              >
                Account
              </Link>
              <button
                type="button"
                data-testid="logout-button"
                onClick={() => logout.mutate()}
                disabled={logout.isPending}
                className="rounded-md px-2 py-1 text-xs text-fg-muted hover:bg-surface-3 hover:text-fg"
              >
                Sign out
              </button>
            </div>
          </div>
        </aside>
        <main id="main" className="min-w-0 flex-1 px-6 py-5">
          {children}
        </main>
      </div>
    </SessionProvider>
  );
}
