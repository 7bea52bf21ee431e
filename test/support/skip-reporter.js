// Makes every "SKIPPED (no PostgreSQL/Redis/Chromium ...)" line visible at the end of a run.
// Why it is needed: jest's default reporter prints a test file's console output only when at least one
// of the file's tests ran, so a file whose tests were all skipped lost its SKIPPED line in a full run
// (a single file runs in verbose mode and prints it at once, which is why it showed when run alone).
// Plain CommonJS: jest loads reporters without transforming them.
class SkippedReporter {
  constructor() {
    this.lines = new Set();
  }

  onTestResult(_test, result) {
    for (const entry of result.console ?? []) {
      if (/^SKIPPED\b/.test(entry.message)) this.lines.add(entry.message);
    }
  }

  onRunComplete() {
    if (this.lines.size === 0) return;
    process.stderr.write(`\nTests skipped because a service they need is missing:\n`);
    for (const line of this.lines) process.stderr.write(`  ${line}\n`);
  }
}

module.exports = SkippedReporter;
