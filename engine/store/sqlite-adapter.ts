import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, Transaction } from "@prisma/driver-adapter-utils";

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

function gated(inner: SqlDriverAdapter): SqlDriverAdapter {
  const gate = new Gate();
  // The adapter runs each statement synchronously: with the gate free, nothing can interleave.
  const outside = async <T>(run: () => Promise<T>): Promise<T> => {
    if (gate.free) return run();
    const release = await gate.acquire();
    try {
      return await run();
    } finally {
      release();
    }
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
        commit: async () => release(),
        rollback: async () => release(),
        createSavepoint: async (name) => void (await inner.executeRaw(statement(`SAVEPOINT ${name}`))),
        rollbackToSavepoint: async (name) => void (await inner.executeRaw(statement(`ROLLBACK TO ${name}`))),
        releaseSavepoint: async (name) => void (await inner.executeRaw(statement(`RELEASE SAVEPOINT ${name}`))),
      };
    },
  };
}

/** Prisma's better-sqlite3 adapter, with write transactions that take the lock up front. */
export function sqliteAdapter(file: string, busyTimeoutMs: number): SqlDriverAdapterFactory {
  const factory = new PrismaBetterSqlite3({ url: file, timeout: busyTimeoutMs });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => gated(await factory.connect()),
  };
}
