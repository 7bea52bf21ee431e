// README.md and docs/*.md stay readable in a terminal and a side-by-side diff: no line wider than the
// width prettier prints code at. Prettier keeps prose lines as written (proseWrap "preserve") and pads a
// table to its widest cell, so nothing else catches a long line or a table grown wide by one cell.
// Fenced code blocks may hold a long command, and a URL cannot be broken: neither is counted.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const MAX = (JSON.parse(readFileSync(path.join(ROOT, ".prettierrc.json"), "utf8")) as { printWidth: number })
  .printWidth;
const URL = /<?https?:\/\/[^\s)>]+>?/g;

const files = [
  "README.md",
  ...readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** `file:line (width)` for each line outside fenced code blocks wider than MAX once URLs are left out. */
function tooWide(file: string): string[] {
  const found: string[] = [];
  let fence: string | undefined; // the opening fence (``` or ~~~, 3 or more), while inside a code block
  const lines = readFileSync(path.join(ROOT, file), "utf8").split("\n");
  for (const [index, line] of lines.entries()) {
    const marker = /^ {0,3}(`{3,}|~{3,})\s*(.*)$/.exec(line);
    const width = [...line.replace(URL, "")].length;
    if (fence === undefined) {
      if (marker) fence = marker[1];
      else if (width > MAX) found.push(`${file}:${index + 1} (${width})`);
    } else if (marker && marker[1][0] === fence[0] && marker[1].length >= fence.length && !marker[2]) {
      fence = undefined; // a closing fence: the same character, at least as long, nothing after it
    }
  }
  return found;
}

test("the documentation is read from README.md and docs/", () => {
  expect(files.length).toBeGreaterThan(5);
});

test.each(files)(`%s has no line wider than ${MAX} columns outside code blocks and URLs`, (file) => {
  expect(tooWide(file)).toEqual([]);
});
