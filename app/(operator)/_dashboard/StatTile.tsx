import Link from "next/link";
import type { ReactNode } from "react";
import styles from "./dashboard.module.css";

/** One headline figure; `value` is also kept raw in data-value so tests need not parse text. */
export function StatTile({ label, value, display, detail, tone, testId, href }: { label: string; value: number; display: string; detail?: ReactNode; tone?: "warning" | "danger"; testId: string; href?: string }) {
  const body = (
    <>
      <span className={styles.tileLabel}>{label}</span>
      <span className={styles.tileValue}>{display}</span>
      <span className={styles.tileDetail}>{detail ?? "\u00a0"}</span>
    </>
  );
  return (
    <div className={`${styles.tile} ${tone ? styles[tone] : ""}`} data-testid={testId} data-value={value}>
      {href ? (
        <Link href={href} className={styles.tileLink}>
          {body}
        </Link>
      ) : (
        body
      )}
    </div>
  );
}

/** The same box, empty, while the figures load: the grid keeps its size. */
export function StatTileSkeleton() {
  return (
    <div className={`${styles.tile} ${styles.skeleton}`} aria-hidden="true">
      <span className={styles.tileLabel}>&nbsp;</span>
      <span className={styles.tileValue}>&nbsp;</span>
      <span className={styles.tileDetail}>&nbsp;</span>
    </div>
  );
}
