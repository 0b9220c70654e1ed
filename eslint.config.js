import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const CODE_FROM_STRINGS = "Never run operator input as code: no vm, eval or new Function (use JSONata or templates).";

// The run store (engine/runtime/*store*) owns every run table: runs, events, checkpoints, the
// effect ledger, timers, approvals and dead letters. Anything else asks it.
const RUN_TABLES = "run|runEvent|checkpoint|effect|timer|deadLetter|approval";
const WRITES = "create|createMany|createManyAndReturn|update|updateMany|updateManyAndReturn|upsert|delete|deleteMany";
const RAW_RUN_WRITE = String.raw`/(UPDATE|INSERT INTO|DELETE FROM|update|insert into|delete from)\s+"(Run|RunEvent|Checkpoint|Effect|Timer|DeadLetter|Approval)"/`;
const OWNED_BY_STORE = "Run tables are written only by the run store (engine/runtime/*store*.ts): call its functions.";
const runTableWrites = [
  { selector: `CallExpression[callee.object.property.name=/^(${RUN_TABLES})$/][callee.property.name=/^(${WRITES})$/]`, message: OWNED_BY_STORE },
  { selector: `Literal[value=${RAW_RUN_WRITE}]`, message: OWNED_BY_STORE },
  { selector: `TemplateElement[value.raw=${RAW_RUN_WRITE}]`, message: OWNED_BY_STORE },
];

// The layers' fences. nodes/ holds node types only; the infrastructure behind them (memory
// store and index, LLM client, egress guard, mail transport, settings, records storage) lives in
// infra/, which server/ and the server-only halves of node types (*.server.ts) import.
const VM = [
  { name: "vm", message: CODE_FROM_STRINGS },
  { name: "node:vm", message: CODE_FROM_STRINGS },
];
const NODES_INFRASTRUCTURE = {
  group: ["**/nodes/**/*.server", "**/nodes/**/settings", "**/nodes/adapters/egress/*"],
  message: "server/ does not import infrastructure from nodes/ (node types only): it lives in infra/.",
};
const INFRA_UPWARD = {
  group: ["**/nodes/**", "**/server/**", "**/app/**"],
  message: "infra/ imports neither nodes/, server/ nor app/: it is the layer they build on.",
};
const INFRA_FROM_APP = {
  group: ["**/infra/**", "**/nodes/**/*.server"],
  message: "app/ never imports infra/ or executors (*.server): pages reach them through tRPC and server/.",
};
const NODES_WITHOUT_DATABASE = {
  group: ["**/engine/store", "**/engine/store/**", "@prisma/*", "pg", "better-sqlite3"],
  message: "Executors never get the database: they use the capabilities on ctx (engine/registry/capabilities.ts), built in infra/.",
};
const INFRA_FROM_METADATA = {
  group: ["**/infra/**"],
  message: "Node metadata is browser-safe (the palette bundles it): only executors (*.server.ts) import infra/.",
};

export default tseslint.config(
  {
    ignores: [".next/**", "node_modules/**", "engine/store/generated/**", "data/**", "next-env.d.ts", "test-results/**", "playwright-report/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain JavaScript here is Node tooling (bin/, scripts/, configs).
    files: ["**/*.js"],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      // Code from strings, in every form.
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "vm", message: CODE_FROM_STRINGS }, { name: "node:vm", message: CODE_FROM_STRINGS }] },
      ],
      "no-restricted-globals": ["error", { name: "Function", message: CODE_FROM_STRINGS }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // engine/ is framework-free: configuration is passed in, and it never reaches up into the app.
    files: ["engine/**/*.ts"],
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "engine/ takes configuration as parameters." }],
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "vm", message: CODE_FROM_STRINGS },
            { name: "node:vm", message: CODE_FROM_STRINGS },
            { name: "react", message: "engine/ is framework-free." },
            { name: "next", message: "engine/ is framework-free." },
          ],
          patterns: [
            { group: ["next/*", "react-dom", "react-dom/*", "@trpc/*"], message: "engine/ is framework-free." },
            { group: ["**/nodes", "**/nodes/*", "**/app/*", "**/server/*", "**/infra/**"], message: "engine/ imports neither nodes/, app/, server/ nor infra/; they are passed in." },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.ts", "**/*.tsx", "**/*.js"],
    ignores: ["engine/runtime/*store*.ts", "bench/**", "test/**"],
    rules: { "no-restricted-syntax": ["error", ...runTableWrites] },
  },
  {
    files: ["server/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: VM, patterns: [NODES_INFRASTRUCTURE] }] },
  },
  {
    files: ["infra/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: VM, patterns: [INFRA_UPWARD] }] },
  },
  {
    files: ["app/**/*.ts", "app/**/*.tsx"],
    rules: { "no-restricted-imports": ["error", { paths: VM, patterns: [INFRA_FROM_APP] }] },
  },
  {
    files: ["nodes/**/*.ts"],
    ignores: ["nodes/**/*.server.ts"],
    rules: { "no-restricted-imports": ["error", { paths: VM, patterns: [INFRA_FROM_METADATA, NODES_WITHOUT_DATABASE] }] },
  },
  {
    files: ["nodes/**/*.server.ts"],
    rules: { "no-restricted-imports": ["error", { paths: VM, patterns: [NODES_WITHOUT_DATABASE] }] },
  },
  {
    files: ["app/**/*.tsx", "app/**/*.ts"],
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
);
