import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../engine/errors";
import { loadConfig } from "./config";

function failure(env: Record<string, string>): ConfigurationError {
  try {
    loadConfig(env, "/srv/keel");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error("expected loadConfig to fail");
}

describe("configuration", () => {
  it("defaults to an embedded SQLite file in ./data on 127.0.0.1:3000", () => {
    const config = loadConfig({}, "/srv/keel");
    expect(config.dataDir).toBe("/srv/keel/data");
    expect(config.database).toEqual({ provider: "sqlite", url: "file:/srv/keel/data/keel.db", file: "/srv/keel/data/keel.db" });
    expect(config.host).toBe("127.0.0.1");
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe("http://127.0.0.1:3000");
    expect(config.chromaUrl).toBeUndefined();
    expect(config.openai).toBeUndefined();
    expect(config.secret).toBeUndefined();
  });

  it("reads every variable", () => {
    const config = loadConfig(
      {
        KEEL_DATA_DIR: "/var/lib/keel",
        DATABASE_URL: "postgresql://keel:pw@db:5432/keel",
        CHROMA_URL: "http://chroma:8000",
        OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
        OPENAI_API_KEY: "sk-test",
        KEEL_SECRET: "x".repeat(40),
        HOST: "0.0.0.0",
        PORT: "8080",
        KEEL_PUBLIC_URL: "https://ops.example.com/",
      },
      "/srv/keel",
    );
    expect(config.database).toEqual({ provider: "postgresql", url: "postgresql://keel:pw@db:5432/keel" });
    expect(config.chromaUrl).toBe("http://chroma:8000");
    expect(config.openai).toEqual({ baseUrl: "http://127.0.0.1:11434/v1", apiKey: "sk-test" });
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe("https://ops.example.com");
  });

  it("reads KEEL_EGRESS_ALLOW as a list of allowlist entries, naming the variable when one is wrong", () => {
    expect(loadConfig({}, "/srv/keel").egressAllow).toEqual([]);
    expect(loadConfig({ KEEL_EGRESS_ALLOW: " 127.0.0.1:8080, *.corp.example ,," }, "/srv/keel").egressAllow).toEqual(["127.0.0.1:8080", "*.corp.example"]);
    const error = failure({ KEEL_EGRESS_ALLOW: "10.0.0.0/8, 10.0.0.0/99" });
    expect(error.variable).toBe("KEEL_EGRESS_ALLOW");
    expect(error.message).toBe("KEEL_EGRESS_ALLOW: '10.0.0.0/99' is not a valid IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)");
  });

  it("treats an API key alone as OpenAI itself", () => {
    expect(loadConfig({ OPENAI_API_KEY: "sk-x" }).openai).toEqual({ baseUrl: "https://api.openai.com/v1", apiKey: "sk-x" });
  });

  it("resolves a relative SQLite path against the working directory", () => {
    expect(loadConfig({ DATABASE_URL: "file:./other/k.db" }, "/srv/keel").database).toMatchObject({ file: "/srv/keel/other/k.db" });
  });

  it.each([
    [{ DATABASE_URL: "mysql://root@localhost/keel" }, "DATABASE_URL", "DATABASE_URL: must start with file: (SQLite) or postgres:// (PostgreSQL)"],
    [{ DATABASE_URL: "file:" }, "DATABASE_URL", "DATABASE_URL: expected file:PATH to a SQLite file, got 'file:'"],
    [{ PORT: "http" }, "PORT", "PORT: must be a port number"],
    [{ PORT: "70000" }, "PORT", "PORT: must be between 1 and 65535"],
    [{ CHROMA_URL: "not a url" }, "CHROMA_URL", "CHROMA_URL: must be an http:// or https:// URL"],
    [{ OPENAI_BASE_URL: "ftp://x" }, "OPENAI_BASE_URL", "OPENAI_BASE_URL: must be an http:// or https:// URL"],
    [{ KEEL_PUBLIC_URL: "example.com" }, "KEEL_PUBLIC_URL", "KEEL_PUBLIC_URL: must be an http:// or https:// URL"],
    [{ KEEL_SECRET: "short" }, "KEEL_SECRET", "KEEL_SECRET: must be at least 32 characters (e.g. `openssl rand -hex 32`)"],
    [{ KEEL_LOG_LEVEL: "loud" }, "KEEL_LOG_LEVEL", 'KEEL_LOG_LEVEL: Invalid option: expected one of "debug"|"info"|"warn"|"error"'],
    [{ KEEL_EMBEDDER: "openai" }, "KEEL_EMBEDDER", "KEEL_EMBEDDER: 'openai' needs OPENAI_BASE_URL or OPENAI_API_KEY"],
    [
      { OPENAI_BASE_URL: "http://127.0.0.1:11434/v1", KEEL_EMBEDDING_MODEL: "nomic-embed-text" },
      "KEEL_EMBEDDING_DIMENSIONS",
      "KEEL_EMBEDDING_DIMENSIONS: must be set for the embedding model 'nomic-embed-text' (its vector length)",
    ],
  ])("rejects %o naming %s", (env, variable, message) => {
    const error = failure(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toBe(message);
  });

  it("chooses memory's embedder: offline without an endpoint, the endpoint's with one unless told otherwise", () => {
    expect(loadConfig({}, "/srv/keel").embedding).toEqual({ kind: "local" });
    expect(loadConfig({ OPENAI_API_KEY: "sk-x" }, "/srv/keel").embedding).toEqual({
      kind: "openai",
      baseUrl: "https://api.openai.com/v1",
      apiKey: "sk-x",
      model: "text-embedding-3-small",
      dimension: 1536,
      requestDimensions: false,
    });
    expect(loadConfig({ OPENAI_API_KEY: "sk-x", KEEL_EMBEDDER: "local" }, "/srv/keel").embedding).toEqual({ kind: "local" });
    expect(loadConfig({ OPENAI_BASE_URL: "http://127.0.0.1:11434/v1", KEEL_EMBEDDING_MODEL: "nomic-embed-text", KEEL_EMBEDDING_DIMENSIONS: "768" }, "/srv/keel").embedding).toMatchObject({
      model: "nomic-embed-text",
      dimension: 768,
      requestDimensions: true,
    });
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ CHROMA_URL: "", OPENAI_API_KEY: "", DATABASE_URL: "" }, "/srv/keel").database.provider).toBe("sqlite");
  });
});
