import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "./_trpc/client";
import "./globals.css";

export const metadata: Metadata = {
  title: "Keel",
  description: "Workflows as graphs, run durably.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <TRPCReactProvider>
          <header className="topbar">
            <Link href="/" className="brand">
              Keel
            </Link>
          </header>
          <main className="page">{children}</main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
