// Cold start: from starting `node dist/src/main.js` (the build already done) on an existing database to
// the first successful mint, repeated `rounds` times; each start is stopped before the next.
import { startAndWait, type ServerLauncher } from "./stack";

export async function benchColdStart(
  service: ServerLauncher,
  firstMint: () => Promise<void>,
  rounds: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const started = performance.now();
    const server = await startAndWait(service, () => firstMint().then(() => true));
    times.push(Math.round(performance.now() - started));
    await server.stop();
  }
  return times;
}
