import { randomFillSync } from "node:crypto";

// Row ids for the tables the hot path appends to (runs, events, checkpoints, ledger rows,
// audit entries, webhook deliveries): UUIDv7 (RFC 9562), a millisecond timestamp ahead of 74
// random bits. Ids in time order land at the right edge of their primary-key index, so the
// rows one transaction inserts share a page or two; random ids (v4) dirty a page per row, and
// SQLite's WAL writes every dirtied page whole at each commit. Just as unguessable for links.

const random = Buffer.alloc(10 * 256);
let offset = random.length;
let lastMs = 0;
let sequence = 0;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function orderedId(now = Date.now()): string {
  if (offset === random.length) {
    randomFillSync(random);
    offset = 0;
  }
  const r = random.subarray(offset, (offset += 10));
  // Within one millisecond a counter in the first random bits keeps ids of this process in order.
  if (now <= lastMs) {
    now = lastMs;
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) now = ++lastMs;
  } else {
    lastMs = now;
    sequence = r[0]! & 0x7ff;
  }
  const t = now.toString(16).padStart(12, "0");
  const h = (b: number) => HEX[b]!;
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${(sequence >> 8).toString(16)}${h(sequence & 0xff)}-${h(0x80 | (r[1]! & 0x3f))}${h(r[2]!)}-${h(r[3]!)}${h(r[4]!)}${h(r[5]!)}${h(r[6]!)}${h(r[7]!)}${h(r[8]!)}`;
}
