"use client";
/**
 * Dark mode: the stored choice ("light" | "dark" | "system", localStorage key
 * `lvs-theme`) or the system preference. `themeBootScript` (theme-script.ts)
 * runs in <head> before first paint so there is no flash; ThemeToggle cycles
 * the choice.
 *
 * testids: `theme-toggle` (button; aria-label names the current mode).
 */
import { useEffect, useState } from "react";

export type ThemeChoice = "light" | "dark" | "system";
import { THEME_STORAGE_KEY as STORAGE_KEY } from "./theme-script";


function applyTheme(choice: ThemeChoice) {
  const dark =
    choice === "dark" || (choice === "system" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.classList.toggle("dark", dark);
}

function readChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored === "light" || stored === "dark" ? stored : "system";
  } catch {
    return "system";
  }
}

const NEXT: Record<ThemeChoice, ThemeChoice> = { system: "light", light: "dark", dark: "system" };
const LABEL: Record<ThemeChoice, string> = { system: "System", light: "Light", dark: "Dark" };

export function ThemeToggle({ compact = false }: { compact?: boolean }) {
  const [choice, setChoice] = useState<ThemeChoice | null>(null);

  useEffect(() => {
    setChoice(readChoice());
  }, []);

  // Follow the system while the choice is "system".
  useEffect(() => {
    if (choice !== "system") return;
    const query = window.matchMedia("(prefers-color-scheme: dark)");
    const onChange = () => applyTheme("system");
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, [choice]);

  const current = choice ?? "system";
  return (
    <button
      type="button"
      data-testid="theme-toggle"
      aria-label={`Theme: ${LABEL[current]}. Switch to ${LABEL[NEXT[current]]}`}
      title={`Theme: ${LABEL[current]}`}
      className="inline-flex h-8 items-center gap-1.5 rounded-md px-2 text-fg-muted hover:bg-surface-3 hover:text-fg"
      onClick={() => {
        const next = NEXT[current];
        try {
          if (next === "system") localStorage.removeItem(STORAGE_KEY);
          else localStorage.setItem(STORAGE_KEY, next);
        } catch {
          /* storage unavailable: the choice lasts for this page only */
        }
        applyTheme(next);
        setChoice(next);
      }}
    >
      <ThemeIcon choice={current} />
      {!compact && <span className="text-xs">{LABEL[current]}</span>}
    </button>
  );
}

function ThemeIcon({ choice }: { choice: ThemeChoice }) {
  const common = { width: 15, height: 15, viewBox: "0 0 16 16", fill: "none", stroke: "currentColor", strokeWidth: 1.5, "aria-hidden": true } as const;
  if (choice === "light")
    return (
      <svg {...common}>
        <circle cx="8" cy="8" r="3" />
        <path d="M8 1v1.5M8 13.5V15M1 8h1.5M13.5 8H15M3 3l1 1M12 12l1 1M3 13l1-1M12 4l1-1" />
      </svg>
    );
  if (choice === "dark")
    return (
      <svg {...common}>
        <path d="M13.5 9.5A5.5 5.5 0 0 1 6.5 2.5a5.5 5.5 0 1 0 7 7Z" />
      </svg>
    );
  return (
    <svg {...common}>
      <rect x="1.5" y="2.5" width="13" height="9" rx="1" />
      <path d="M5.5 14h5M8 11.5V14" />
    </svg>
  );
}
