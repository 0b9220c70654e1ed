import { open } from "node:fs/promises";
import type BetterSqlite3 from "better-sqlite3";

// Group commit for the run store's writes on SQLite (the bare driver's `write`).
//
// SQLite runs one write transaction at a time per file, and in WAL mode each commit appends
// every page it dirtied, whole, to the log: a run's two small commits (start, then steps) wrote
// about fifty 4 KB pages, most of them the same index pages the concurrent runs' commits
// wrote again. So writes that arrive while the connection is busy, or in the same turn of
// the event loop, are queued and run together in the next transaction, each in its own
// savepoint: one that throws (a lost lease) is rolled back alone and rejects alone; the others
// commit.
//
// Durability: the connection runs with synchronous=NORMAL, so COMMIT appends to the WAL without
// waiting for the disk, and nothing blocks the event loop. A caller is answered only after an
// fdatasync of the WAL that began after its COMMIT: that is when the commit survives a power
// loss, as with synchronous=FULL. The sync runs on libuv's thread pool, and one sync serves
// every commit made before it began (commits made while it runs wait for the next one). Under
// NORMAL, SQLite itself syncs the WAL before a checkpoint copies it and the database after, so
// a checkpoint never loses what a sync made durable. See ../runtime/ARCHITECTURE.md.

/** A FIFO lock the connection's users share (Prisma's transactions take it too). */
export interface ConnectionGate {
  acquire(): Promise<() => void>;
}

/** Counters, for tests and benchmarks: how many transactions and syncs served how many writes. */
export interface CommitStats {
  writes: number;
  transactions: number;
  syncs: number;
}

/** Syncs the file a commit went to; one sync at a time, and a waiter is served by the next one to start. */
export class WalSync {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    private readonly files: readonly string[],
    private readonly stats: CommitStats,
  ) {}

  /** Resolves once everything committed before this call is on disk. */
  request(): Promise<void> {
    if (!this.running) return this.start();
    // The sync in flight may have begun before the caller's commit: wait for the next one.
    return (this.next ??= this.running.then(
      () => this.startNext(),
      () => this.startNext(),
    ));
  }

  private startNext(): Promise<void> {
    this.next = undefined;
    return this.start();
  }

  private start(): Promise<void> {
    const run: Promise<void> = this.syncOnce().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async syncOnce(): Promise<void> {
    this.stats.syncs++;
    // The WAL file (`-wal`); without one (a database not in WAL mode) the database file itself.
    for (const file of this.files) {
      let handle;
      try {
        handle = await open(file, "r");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      try {
        await handle.datasync();
        return;
      } finally {
        await handle.close();
      }
    }
  }
}

interface Member {
  fn: (db: BetterSqlite3.Database) => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Writes queued while the connection is busy or in the same turn, run in one transaction. */
export class CommitGroup {
  private queue: Member[] = [];
  private scheduled = false;

  constructor(
    private readonly client: BetterSqlite3.Database,
    private readonly gate: ConnectionGate,
    private readonly prepare: (sql: string) => BetterSqlite3.Statement,
    private readonly sync: WalSync,
    private readonly stats: CommitStats,
  ) {}

  /** Runs `fn` in the next group transaction; resolves with its result once that is durable. */
  write<T>(fn: (db: BetterSqlite3.Database) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.stats.writes++;
      if (!this.scheduled) {
        this.scheduled = true;
        // Writers of this turn of the event loop join; so do those that come while the gate is held.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const release = await this.gate.acquire();
    const members = this.queue;
    this.queue = [];
    this.scheduled = false;
    const done: { member: Member; value: unknown }[] = [];
    const failed: { member: Member; error: unknown }[] = [];
    try {
      this.stats.transactions++;
      this.prepare("BEGIN IMMEDIATE").run();
      if (members.length === 1) {
        // Alone: no savepoint, a throw rolls the transaction back below.
        done.push({ member: members[0]!, value: members[0]!.fn(this.client) });
      } else {
        for (const member of members) {
          this.prepare("SAVEPOINT keel_write").run();
          try {
            const value = member.fn(this.client);
            this.prepare("RELEASE keel_write").run();
            done.push({ member, value });
          } catch (error) {
            // SQLite ends the whole transaction on some errors (disk full, I/O): then the
            // earlier members' writes are gone too, and the group fails as one.
            if (!this.client.inTransaction) throw error;
            this.prepare("ROLLBACK TO keel_write").run();
            this.prepare("RELEASE keel_write").run();
            failed.push({ member, error });
          }
        }
      }
      this.prepare("COMMIT").run();
    } catch (error) {
      if (this.client.inTransaction) this.prepare("ROLLBACK").run();
      release();
      for (const member of members) if (!failed.some((f) => f.member === member)) member.reject(error);
      for (const { member, error: own } of failed) member.reject(own);
      return;
    }
    release();
    // Nothing of a failed member was written: it need not wait for the disk.
    for (const { member, error } of failed) member.reject(error);
    if (done.length === 0) return;
    try {
      await this.sync.request();
    } catch (error) {
      for (const { member } of done) member.reject(error);
      return;
    }
    for (const { member, value } of done) member.resolve(value);
  }
}
