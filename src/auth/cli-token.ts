// `npm run token -- --sub alice --roles user[,admin] [--ttl 3600]`: prints a development bearer token
// signed with the key kept in DATA_DIR, so it works against a running `npm start`.
import { parseArgs } from "node:util";
import { loadConfig } from "../config";
import { assertDevTokensAllowed, loadOrCreateDevIssuer } from "./dev-issuer";

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
): Promise<number> {
  const config = loadConfig(env);
  try {
    assertDevTokensAllowed(config.nodeEnv);
  } catch (error) {
    out(`error: ${(error as Error).message}`);
    return 2;
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      sub: { type: "string" },
      roles: { type: "string", default: "user" },
      ttl: { type: "string", default: "3600" },
    },
  });
  const ttlSeconds = Number(values.ttl);
  if (!values.sub || !Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    out("usage: npm run token -- --sub <subject> [--roles user,admin] [--ttl seconds]");
    return 2;
  }
  const roles = values
    .roles!.split(",")
    .map((role) => role.trim())
    .filter(Boolean);
  const issuer = await loadOrCreateDevIssuer(config.dataDir);
  out(await issuer.sign({ sub: values.sub, roles, ttlSeconds }));
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
