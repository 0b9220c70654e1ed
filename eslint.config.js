import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const CODE_FROM_STRINGS = "Never run operator input as code: no vm, eval or new Function (use JSONata or templates).";

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
            { group: ["**/nodes", "**/nodes/*", "**/app/*", "**/server/*"], message: "engine/ imports neither nodes/, app/ nor server/; they are passed in." },
          ],
        },
      ],
    },
  },
  {
    files: ["app/**/*.tsx", "app/**/*.ts"],
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
);
