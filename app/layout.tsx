import "./globals.css";
import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { themeBootScript } from "@/components/shell/theme-script";
import { TrpcProvider } from "@/components/trpc/client";

export const metadata: Metadata = {
  title: { default: "lvs-control", template: "%s · lvs-control" },
  description: "Control panel for Linux Virtual Server (IPVS) clusters",
};

export const viewport: Viewport = {
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#f4f5f7" },
    { media: "(prefers-color-scheme: dark)", color: "#0e1014" },
  ],
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: themeBootScript }} />
      </head>
      <body>
        <TrpcProvider>{children}</TrpcProvider>
      </body>
    </html>
  );
}
