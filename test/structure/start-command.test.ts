// The service's Node options (package.json's `start`) are the same wherever the docs give the command
// to start it, and the benchmark reads them from there (bench/processes.ts).
import { readFileSync } from "node:fs";
import path from "node:path";
import { SERVICE_COMMAND, serviceNodeOptions } from "../../bench/processes";

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

test("the README and the operations guide start the service as npm start does", () => {
  const options = serviceNodeOptions();
  expect(options).toContain("--max-semi-space-size=32");
  const command = ["node", ...options, "dist/src/main.js"].join(" ");
  for (const file of ["README.md", "docs/operations.md"]) {
    const starts = read(file).match(new RegExp(SERVICE_COMMAND.source, "g")) ?? [];
    expect([file, starts.length > 0]).toEqual([file, true]);
    expect([file, starts]).toEqual([file, starts.map(() => command)]);
  }
});
