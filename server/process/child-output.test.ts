import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { LogFields, Logger } from "../../engine/log";
import { forwardChildOutput } from "./child-output";

function recordingLogger(records: { level: string; fields: LogFields; msg: string }[], bound: LogFields = {}): Logger {
  const at = (level: string) => (fields: LogFields, msg: string) => records.push({ level, fields: { ...bound, ...fields }, msg });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: (fields) => recordingLogger(records, { ...bound, ...fields }) };
}

describe("forwardChildOutput", () => {
  it("passes a child's JSON log lines through as they are and wraps every other line, naming the child", async () => {
    const records: { level: string; fields: LogFields; msg: string }[] = [];
    const written: string[] = [];
    const stream = new PassThrough();
    forwardChildOutput("chroma", stream, "stderr", recordingLogger(records), (line) => written.push(line));
    const own = JSON.stringify({ level: 30, process: "web", msg: "web server listening" });
    stream.end(`${own}\nerror: disk full\n\n{"not":"a log line"}\n{broken\n`);
    await new Promise((resolve) => stream.on("close", resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual([own]);
    expect(records).toEqual([
      { level: "warn", fields: { child: "chroma" }, msg: "error: disk full" },
      { level: "warn", fields: { child: "chroma" }, msg: '{"not":"a log line"}' },
      { level: "warn", fields: { child: "chroma" }, msg: "{broken" },
    ]);
  });
});
