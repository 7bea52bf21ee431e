import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

export default tseslint.config(
  { ignores: ["node_modules", "dist", ".data", "coverage", "test-artifacts", "examples/**/dist"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", module: "writable", require: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read settings through src/config." },
      ],
    },
  },
  {
    files: ["src/config/**", "test/**", "bench/**", "scripts/**", "jest.config.js", "src/**/cli*.ts"],
    rules: { "no-restricted-properties": "off" },
  },
  // Tests read untyped GraphQL JSON; `any` there keeps assertions readable.
  { files: ["test/**"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
  { files: ["**/*.js", "**/*.cjs"], rules: { "@typescript-eslint/no-require-imports": "off" } },
);
