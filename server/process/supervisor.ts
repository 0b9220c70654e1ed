import { spawn, type ChildProcess, type SpawnOptions, type StdioOptions } from "node:child_process";
import type { Logger } from "../../engine/log";
import { forwardChildOutput } from "./child-output";

// Runs Keel's child processes (Chroma, the web server, workers) and stops all of them together.
// Each child leads its own process group, so stopping it also stops whatever it spawned.

export interface ManagedChild {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
  /** A service that should run until Keel stops; a task (a build) is expected to exit. */
  service: boolean;
}

export class Supervisor {
  private readonly children: ManagedChild[] = [];
  private stopping = false;

  /** With `output`, what children print on stdout or stderr is forwarded as JSON log lines to stderr. */
  constructor(
    private readonly log: (line: string) => void,
    private readonly output?: Logger,
  ) {}

  /** Starts a long-lived service; its exit while Keel runs is a failure. */
  spawn(name: string, command: string, args: string[], options: SpawnOptions = {}): ManagedChild {
    return this.start(name, command, args, options, true);
  }

  /** Starts a task that ends by itself, stopped with the rest if Keel stops first. */
  runTask(name: string, command: string, args: string[], options: SpawnOptions = {}): ManagedChild {
    return this.start(name, command, args, options, false);
  }

  private start(name: string, command: string, args: string[], options: SpawnOptions, service: boolean): ManagedChild {
    const stdio = this.output ? piped(options.stdio ?? ["ignore", "inherit", "inherit"]) : (options.stdio ?? ["ignore", "inherit", "inherit"]);
    const child = spawn(command, args, { ...options, stdio, detached: true });
    if (this.output) {
      if (child.stdout) forwardChildOutput(name, child.stdout, "stdout", this.output);
      if (child.stderr) forwardChildOutput(name, child.stderr, "stderr", this.output);
    }
    const exited = new Promise<number | null>((resolve) => {
      child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : null)));
      child.once("error", (error) => {
        this.log(`${name} could not start: ${error.message}`);
        resolve(127);
      });
    });
    const managed = { name, process: child, exited, service };
    this.children.push(managed);
    return managed;
  }

  /** Resolves with the first child that exits while Keel is not stopping. */
  firstUnexpectedExit(): Promise<ManagedChild & { code: number | null }> {
    return Promise.race(
      this.children.filter((child) => child.service).map((child) =>
        child.exited.then((code) => (this.stopping ? new Promise<never>(() => undefined) : { ...child, code })),
      ),
    );
  }

  /** SIGTERM to every process group, SIGKILL to any still alive after the grace period. */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const alive = this.children.filter((c) => c.process.exitCode === null && c.process.signalCode === null);
    for (const child of alive.reverse()) signalGroup(child, "SIGTERM");
    const timeout = new Promise<"timeout">((resolve) => setTimeout(resolve, graceMs, "timeout").unref());
    const done = Promise.all(alive.map((c) => c.exited));
    if ((await Promise.race([done, timeout])) === "timeout") {
      for (const child of alive) {
        this.log(`${child.name} did not stop within ${graceMs / 1000} s; killing it`);
        signalGroup(child, "SIGKILL");
      }
      await done;
    }
    // Grandchildren that outlived their parent still share its group.
    for (const child of this.children) signalGroup(child, "SIGKILL");
  }
}

/** The same stdio with every inherited output stream piped, so it can be forwarded as log lines. */
function piped(stdio: StdioOptions): StdioOptions {
  const list = typeof stdio === "string" ? [stdio, stdio, stdio] : [...stdio];
  return list.map((entry, fd) => (fd > 0 && fd < 3 && (entry === "inherit" || entry === process.stdout || entry === process.stderr || entry === fd) ? "pipe" : entry)) as StdioOptions;
}

function signalGroup(child: ManagedChild, signal: NodeJS.Signals) {
  if (child.process.pid === undefined) return;
  try {
    process.kill(-child.process.pid, signal);
  } catch {
    // Already gone.
  }
}
