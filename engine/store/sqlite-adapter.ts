import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from "@prisma/driver-adapter-utils";
import type BetterSqlite3 from "better-sqlite3";
import { CommitGroup, WalSync, type CommitStats } from "./commit-group";

// Prisma's better-sqlite3 adapter shares one connection between transactions and everything
// else, and starts transactions with a plain (deferred) BEGIN. Two faults follow:
// - a statement of another async task, issued while a transaction is open, runs inside that
//   transaction (and is rolled back with it);
// - a transaction that reads before it writes cannot upgrade its lock when another process
//   wrote meanwhile: SQLite answers SQLITE_BUSY at once, no busy timeout applies, and the
//   adapter reports "Operation has timed out".
// This wrapper gives the connection one gate: a transaction holds it from BEGIN IMMEDIATE
// (the write lock taken up front, waiting out another process's lock under the busy timeout)
// to COMMIT or ROLLBACK; statements outside transactions wait for the gate.
//
// The run store's hot path (claim, ledger, commit) uses the same connection and the same gate
// directly (SqliteDirect): prepared statements, one synchronous BEGIN IMMEDIATE … COMMIT, none
// of Prisma's per-statement cost. A second connection in this process could not work: its
// busy wait would block the event loop that the first connection's transaction needs.

/** The bare driver under Prisma's connection, for the run store's hot path. */
export interface SqliteDirect {
  /**
   * Runs `fn` in a write transaction, between Prisma's own transactions, together with the
   * other writes of the moment (commit-group.ts); only its own writes are rolled back if it
   * throws. Resolves once the commit is on disk.
   */
  write<T>(fn: (db: BetterSqlite3.Database) => T): Promise<T>;
  /** A prepared statement, kept for the connection's life; plain numbers, not BigInts. */
  prepare(sql: string): BetterSqlite3.Statement;
  /** How many writes, transactions and disk syncs this connection made. */
  readonly stats: CommitStats;
}

/** A FIFO lock over one connection. */
class Gate {
  private tail: Promise<void> = Promise.resolve();
  private holders = 0;

  get free(): boolean {
    return this.holders === 0;
  }

  async acquire(): Promise<() => void> {
    this.holders++;
    let open!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (open = resolve));
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders--;
      open();
    };
  }
}

const statement = (sql: string): SqlQuery => ({ sql, args: [], argTypes: [] });

/** Whether Prisma's statements wrote since the flag was last cleared (see preparedOnce). */
interface WriteFlag {
  wrote: boolean;
}

function gated(inner: SqlDriverAdapter, gate: Gate, sync: WalSync, flag: WriteFlag): SqlDriverAdapter {
  // The adapter runs each statement synchronously: with the gate free, nothing can interleave.
  // A statement that wrote outside a transaction is answered once its commit is on disk.
  const outside = async <T>(run: () => Promise<T>): Promise<T> => {
    const durable = async (result: T) => {
      if (!flag.wrote) return result;
      flag.wrote = false;
      await sync.request();
      return result;
    };
    if (gate.free) return durable(await run());
    const release = await gate.acquire();
    let result: T;
    try {
      result = await run();
    } finally {
      release();
    }
    return durable(result);
  };
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw: (query) => outside(() => inner.queryRaw(query)),
    executeRaw: (query) => outside(() => inner.executeRaw(query)),
    executeScript: (script) => outside(() => inner.executeScript(script)),
    dispose: () => inner.dispose(),
    ...(inner.getConnectionInfo ? { getConnectionInfo: () => inner.getConnectionInfo!() } : {}),
    async startTransaction(): Promise<Transaction> {
      const release = await gate.acquire();
      try {
        await inner.executeRaw(statement("BEGIN IMMEDIATE"));
      } catch (error) {
        release();
        throw error;
      }
      // Prisma sends COMMIT or ROLLBACK through executeRaw, then calls commit() or rollback().
      return {
        provider: inner.provider,
        adapterName: inner.adapterName,
        options: { usePhantomQuery: false },
        queryRaw: (query) => inner.queryRaw(query),
        executeRaw: (query) => inner.executeRaw(query),
        commit: async () => {
          release();
          flag.wrote = false;
          await sync.request();
        },
        rollback: async () => release(),
        createSavepoint: async (name) => void (await inner.executeRaw(statement(`SAVEPOINT ${name}`))),
        rollbackToSavepoint: async (name) => void (await inner.executeRaw(statement(`ROLLBACK TO ${name}`))),
        releaseSavepoint: async (name) => void (await inner.executeRaw(statement(`RELEASE SAVEPOINT ${name}`))),
      };
    },
  };
}

function direct(client: BetterSqlite3.Database, gate: Gate, sync: WalSync, stats: CommitStats): SqliteDirect {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = client.prepare(sql);
      if (statement.reader) statement.safeIntegers(false);
      statements.set(sql, statement);
    }
    return statement;
  };
  const group = new CommitGroup(client, gate, prepare, sync, stats);
  return { prepare, write: (fn) => group.write(fn), stats };
}

/** How many of Prisma's statements stay prepared; its SQL texts are few (one per query shape). */
const PRISMA_STATEMENTS = 500;

/**
 * The connection as Prisma's adapter sees it, with its statements prepared once: the adapter
 * prepares every query afresh, which costs more than running it. better-sqlite3 binds a
 * statement's arguments once for good, so the adapter gets a view that passes them per call;
 * every use is synchronous, so views of one statement never interleave.
 */
function preparedOnce(client: BetterSqlite3.Database, flag: WriteFlag): BetterSqlite3.Database {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= PRISMA_STATEMENTS) statements.clear();
      statement = client.prepare(sql);
      statements.set(sql, statement);
    }
    const prepared = statement;
    const writes = !prepared.readonly;
    return {
      reader: prepared.reader,
      bind: (args: unknown[]) => ({
        reader: prepared.reader,
        run: () => {
          if (writes) flag.wrote = true;
          return prepared.run(...args);
        },
        columns: () => prepared.columns(),
        raw: () => ({
          all: () => {
            if (writes) flag.wrote = true;
            return prepared.raw(true).all(...args);
          },
        }),
      }),
    };
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === "prepare") return prepare;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Prisma's better-sqlite3 adapter, with write transactions that take the lock up front, and
 * the same connection's bare driver once Prisma has connected.
 */
export function sqliteAdapter(file: string, busyTimeoutMs: number): { factory: SqlDriverAdapterFactory; direct: Promise<SqliteDirect> } {
  const factory = new PrismaBetterSqlite3({ url: file, timeout: busyTimeoutMs });
  let connected!: (handle: SqliteDirect) => void;
  const handle = new Promise<SqliteDirect>((resolve) => (connected = resolve));
  return {
    direct: handle,
    factory: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      async connect() {
        const inner = await factory.connect();
        const gate = new Gate();
        // The adapter keeps its better-sqlite3 connection as `client`.
        const held = inner as unknown as { client: BetterSqlite3.Database };
        // Commits reach the disk through WalSync (commit-group.ts), not inside COMMIT.
        held.client.pragma("synchronous = NORMAL");
        const stats: CommitStats = { writes: 0, transactions: 0, syncs: 0 };
        const sync = new WalSync([`${file}-wal`, file], stats);
        const flag: WriteFlag = { wrote: false };
        connected(direct(held.client, gate, sync, stats));
        held.client = preparedOnce(held.client, flag);
        return gated(inner, gate, sync, flag);
      },
    },
  };
}
