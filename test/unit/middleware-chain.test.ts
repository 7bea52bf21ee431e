// Unit layer: the step runner of the `/graphql` route (src/server/middleware.ts), with stand-ins for
// Node's request and response. The route itself runs over HTTP in test/server and test/security.
import { chain, type Middleware, type Req, type Res } from "../../src/server/middleware";

function run(steps: Middleware[], { headersSent = false } = {}) {
  const seen: string[] = [];
  const res = {
    headersSent,
    locals: {},
    end: () => seen.push("end"),
    destroy: () => seen.push("destroyed"),
  } as unknown as Res;
  const done = new Promise<void>((resolve) => {
    const handler = chain([...steps, () => (seen.push("last"), resolve())], (error, _req, _res, next) => {
      seen.push(`error: ${(error as Error).message}`);
      next();
      resolve();
    });
    handler({} as Req, res);
    // A chain that ended without an answer (a step that neither answered nor called next) resolves here.
    setImmediate(resolve);
  });
  return done.then(() => seen);
}

const step =
  (name: string, seen: string[]): Middleware =>
  (_req, _res, next) => {
    seen.push(name);
    next();
  };

test("steps run in order; next(null) and next(undefined) go on, as in Express", async () => {
  const order: string[] = [];
  const seen = await run([
    step("a", order),
    (_req, _res, next) => next(null),
    (_req, _res, next) => next(undefined),
    step("b", order),
  ]);
  expect(order).toEqual(["a", "b"]);
  expect(seen).toEqual(["last"]);
});

test.each<[string, Middleware]>([
  ["passed to next", (_req, _res, next) => next(new Error("boom"))],
  [
    "thrown",
    () => {
      throw new Error("boom");
    },
  ],
  ["rejected", async () => Promise.reject(new Error("boom"))],
  [
    "thrown after an await",
    async (_req, _res, next) => {
      await Promise.resolve();
      next(new Error("boom"));
    },
  ],
])("an error %s skips the rest and reaches the error handler", async (_how, failing) => {
  const after: string[] = [];
  const seen = await run([failing, step("after", after)]);
  expect(after).toEqual([]);
  expect(seen).toEqual(["error: boom", "end"]);
});

test("an error after the answer has started cuts the connection instead of a second answer", async () => {
  const seen = await run([(_req, _res, next) => next(new Error("late"))], { headersSent: true });
  expect(seen).toEqual(["destroyed"]);
});
