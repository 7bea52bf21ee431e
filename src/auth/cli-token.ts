// `npm run token -- --sub alice --roles user[,admin] [--ttl 3600]`: prints a development bearer token
// signed with the key kept in DATA_DIR, so it works against a running `npm start`. Only the token goes
// to stdout (so `TOKEN=$(npm run --silent token -- ...)` captures nothing else); errors go to stderr.
import { parseArgs } from "node:util";
import { loadConfig } from "../config";
import { assertDevTokensAllowed, loadOrCreateDevIssuer } from "./dev-issuer";
import { loadPolicy } from "./policy-file";

const USAGE = `Usage: npm run --silent token -- --sub <subject> [--roles user,admin] [--ttl seconds]
       node dist/src/auth/cli-token.js --sub <subject> [...]   (the same, once built)

Prints a development bearer token for the service on this machine (refused when NODE_ENV=production).

  --sub SUBJECT   the caller's id (the token's sub); required
  --roles LIST    comma-separated roles of the policy (POLICY_FILE, else the built-in one); default user
  --ttl SECONDS   lifetime in whole seconds, at least 1; default 3600
  -h, --help      this text

The signing key is kept in DATA_DIR (default .data): use the same DATA_DIR as the running service.`;

/** Exit codes: 0 token printed (or help), 2 refused (bad arguments, production). */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void = out,
): Promise<number> {
  const refuse = (why: string) => {
    err(`error: ${why}`);
    return 2;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sub: { type: "string" },
        roles: { type: "string", default: "user" },
        ttl: { type: "string", default: "3600" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    // Unknown flags, a flag without its value, stray arguments.
    err(USAGE);
    return refuse((error as Error).message);
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const config = loadConfig(env);
  try {
    assertDevTokensAllowed(config.nodeEnv);
  } catch (error) {
    return refuse((error as Error).message);
  }
  if (!values.sub?.trim()) {
    err(USAGE);
    return refuse("--sub is required: the subject (user id) the token is for.");
  }
  const ttlSeconds = Number(values.ttl);
  if (!/^\d+$/.test(values.ttl!.trim()) || !Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
    return refuse(
      `--ttl ${JSON.stringify(values.ttl)} is refused: the lifetime must be a whole number of seconds, ` +
        `at least 1 (a token with no lifetime is already expired).`,
    );
  }
  const roles = values
    .roles!.split(",")
    .map((role) => role.trim())
    .filter(Boolean);
  // A role the policy does not name grants nothing (deny by default): say so now, not at the first call.
  const known = Object.keys(loadPolicy(config.policyFile).roles);
  const unknown = roles.filter((role) => !known.includes(role));
  if (roles.length === 0 || unknown.length > 0) {
    const source = config.policyFile ? `the policy in ${config.policyFile}` : "the built-in policy";
    return refuse(
      `${roles.length === 0 ? "--roles is empty" : `unknown role ${unknown.map((r) => JSON.stringify(r)).join(", ")}`}: ` +
        `${source} has roles ${known.join(", ")}.`,
    );
  }
  const issuer = await loadOrCreateDevIssuer(config.dataDir);
  out(await issuer.sign({ sub: values.sub, roles, ttlSeconds }));
  return 0;
}

if (require.main === module) {
  main(
    process.argv.slice(2),
    process.env,
    (line) => process.stdout.write(`${line}\n`),
    (line) => process.stderr.write(`${line}\n`),
  ).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
