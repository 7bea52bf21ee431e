// Running the built commands as a user would: wait for a line on stdout, stop with SIGTERM.
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** Resolves with the first stdout line matching `pattern` (all lines so far are kept in `lines`). */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  lines: string[] = [],
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      const match = pattern.exec(line);
      if (match) resolve(match);
    });
    child.once("exit", (code) =>
      reject(new Error(`exited with ${code} before printing ${pattern}: ${lines.join("\n")}`)),
    );
  });
}

/** Sends SIGTERM and resolves with the exit code: a graceful stop exits 0. */
export function stopGracefully(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  return exited;
}
