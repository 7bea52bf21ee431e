// The layer rules of eslint.config.mjs, exercised: an import against the intended direction fails lint
// (so CI, which runs `npm run lint`, fails), and the imports the layers allow pass.
import { ESLint } from "eslint";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const eslint = new ESLint({ cwd: ROOT });

async function restrictedImports(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath: path.join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

const refused: Array<[string, string]> = [
  ["src/identity/x.ts", 'import "../store";'],
  ["src/identity/x.ts", 'import "../auth/policy-file";'],
  ["src/identity/x.ts", 'import "../config";'],
  ["src/identity/x.ts", 'import "graphql";'],
  ["src/identity/x.ts", 'import "kysely";'],
  ["src/identity/x.ts", 'import "@azure/communication-identity";'],
  ["src/emulator/x.ts", 'import "../identity/model";'],
  ["src/emulator/x.ts", 'import "../errors";'],
  ["src/acs/x.ts", 'import "../store";'],
  ["src/store/x.ts", 'import "../acs";'],
  ["src/ratelimit/x.ts", 'import "../schema/guard";'],
  ["src/auth/x.ts", 'import "../server/logger";'],
  ["src/schema/resolvers/x.ts", 'import "../../store";'],
  ["src/schema/x.ts", 'import "../server/metrics";'],
  ["src/config/x.ts", 'import "../identity/policy";'],
  ["src/errors/x.ts", 'import "../identity";'],
];

const allowed: Array<[string, string]> = [
  ["src/identity/x.ts", 'import "../errors";'],
  ["src/acs/x.ts", 'import "../identity/ports";'],
  ["src/store/x.ts", 'import "../identity/model";'],
  ["src/auth/x.ts", 'import "../identity/policy";'],
  ["src/schema/resolvers/x.ts", 'import "../../identity";'],
  ["src/config/x.ts", 'import "../identity/model";'],
  ["src/server/x.ts", 'import "../store"; import "../acs"; import "../emulator";'],
];

test.each(refused)("%s may not say %s", async (file, source) => {
  expect(await restrictedImports(file, source)).toHaveLength(1);
});

test.each(allowed)("%s may say %s", async (file, source) => {
  expect(await restrictedImports(file, source)).toEqual([]);
});
