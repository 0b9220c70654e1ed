import { readdirSync, readFileSync } from "node:fs";

// Resident memory of processes, from /proc (Linux): what `keel start` costs the machine.

/** VmRSS of one process in MB; 0 when it is gone. */
export function rssMb(pid: number): number {
  try {
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    // The command name (field 2) may hold spaces and parentheses: the fields after its last ')' are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** The process and all its descendants, with their command lines. */
export function processTree(root: number): { pid: number; cmdline: string }[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(Number(entry));
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const out: { pid: number; cmdline: string }[] = [];
  const visit = (pid: number) => {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
    } catch {
      return;
    }
    out.push({ pid, cmdline });
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return out;
}

/** RSS of the process tree in MB, in all and per process (named by its command line). */
export function treeRssMb(root: number): { total: number; processes: { pid: number; cmdline: string; mb: number }[] } {
  const processes = processTree(root).map((p) => ({ ...p, mb: rssMb(p.pid) }));
  return { total: processes.reduce((sum, p) => sum + p.mb, 0), processes };
}
