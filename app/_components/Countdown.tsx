"use client";

import { useEffect, useState } from "react";

function format(ms: number): string {
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86_400_000);
  const h = Math.floor((abs % 86_400_000) / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const s = Math.floor((abs % 60_000) / 1_000);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

/** Time left to a deadline, ticking each second; overdue ones say by how much. */
export function Countdown({ at, className }: { at: string; className?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const left = new Date(at).getTime() - now;
  return (
    <time dateTime={at} title={new Date(at).toLocaleString()} className={className} data-testid="countdown" data-overdue={left < 0 ? "true" : undefined}>
      {left < 0 ? `overdue by ${format(left)}` : `${format(left)} left`}
    </time>
  );
}
