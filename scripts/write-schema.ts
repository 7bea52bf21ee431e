// Writes schema.graphql (the subgraph SDL, what `rover subgraph publish` sends) from the code,
// or with --check fails when the checked-in file is stale.
import "reflect-metadata";
import { printSubgraphSchema } from "@apollo/subgraph";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildFederatedSchema } from "../src/schema/build-schema";

export async function printServiceSchema(): Promise<string> {
  return `${printSubgraphSchema(await buildFederatedSchema()).trim()}\n`;
}

async function main() {
  const file = path.resolve(__dirname, "..", "..", "schema.graphql");
  const sdl = await printServiceSchema();
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(file, "utf8");
    } catch {
      // a missing file is stale too
    }
    if (current !== sdl) {
      process.stderr.write("schema.graphql is stale: run `npm run schema` and commit the result.\n");
      process.exit(1);
    }
    process.stdout.write("schema.graphql is up to date.\n");
    return;
  }
  writeFileSync(file, sdl);
  process.stdout.write(`wrote ${file}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  });
}
