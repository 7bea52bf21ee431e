import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

// The layers of src/, enforced: each folder may import only the folders listed for it (src/server and
// src/main.ts, the composition root, may import any). The direction: server -> schema -> identity (the
// core) <- {acs, store, ratelimit}; auth beside the core; config and errors are leaves; the emulator
// stands alone, like the remote service it stands in for.
const FOLDERS = [
  "acs",
  "auth",
  "config",
  "emulator",
  "errors",
  "identity",
  "ratelimit",
  "schema",
  "server",
  "store",
];
const LAYERS = {
  errors: [],
  emulator: [],
  config: ["identity/model"],
  identity: ["errors"],
  acs: ["identity", "errors", "config"],
  store: ["identity", "errors", "config"],
  ratelimit: ["identity", "errors", "config"],
  auth: ["identity", "errors", "config"],
  schema: ["identity", "errors", "auth"],
};
// The core sees only its ports: no framework, database, SDK or file system.
const CORE_FORBIDDEN_PACKAGES = [
  "graphql",
  "type-graphql",
  "kysely",
  "pg",
  "@azure/*",
  "express",
  "ioredis",
  "node:fs",
];
const layerRule = ([folder, allowed]) => {
  // "identity/model" allows that one module of the folder; "identity" the whole folder.
  const forbidden = FOLDERS.filter((other) => other !== folder).flatMap((other) => {
    if (allowed.includes(other)) return [];
    const modules = allowed
      .filter((entry) => entry.startsWith(`${other}/`))
      .map((entry) => entry.slice(other.length + 1));
    return [modules.length ? `${other}(?!/(${modules.join("|")})$)` : `${other}(/|$)`];
  });
  const patterns = [
    {
      regex: `^(\\.\\./)+(${forbidden.join("|")})`,
      message: `src/${folder} may import only ${allowed.join(", ") || "its own files"} from src/ (layers: eslint.config.mjs).`,
    },
  ];
  if (folder === "identity")
    patterns.push({
      group: CORE_FORBIDDEN_PACKAGES,
      message: "The identity core sees only its ports (src/identity/ports.ts).",
    });
  return { files: [`src/${folder}/**/*.ts`], rules: { "no-restricted-imports": ["error", { patterns }] } };
};

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
  ...Object.entries(LAYERS).map(layerRule),
  // Tests read untyped GraphQL JSON; `any` there keeps assertions readable.
  { files: ["test/**"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
  { files: ["**/*.js", "**/*.cjs"], rules: { "@typescript-eslint/no-require-imports": "off" } },
);
