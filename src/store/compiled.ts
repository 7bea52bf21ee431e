// Statements compiled once. Kysely builds and compiles a query anew on every call; for the mint's hot
// statements that is a measurable share of their CPU on the embedded database (docs/performance.md).
// They are built once with Kysely, with a slot wherever a call's value goes, and each call runs the
// compiled SQL with its own values (`db.executeQuery`, Kysely's way to run a compiled query).
import type { Compilable, Kysely } from "kysely";

const SLOT = Symbol("slot");

interface Slot<A> {
  readonly [SLOT]: (args: A) => unknown;
}

const isSlot = (value: unknown): value is Slot<unknown> =>
  typeof value === "object" && value !== null && SLOT in value;

/**
 * A slot: stands for a call's arguments (`arg()`) or the value `pick` takes from them
 * (`arg((row) => row.owner)`). Kysely sees an ordinary value, and sends it as a parameter.
 */
export interface Arg<A> {
  (): A;
  <V>(pick: (args: A) => V): V;
}

const whole = <A>(args: A) => args;

export interface CompiledStatement<DB, A, R> {
  /** Runs on the database it was compiled for, or on one of its transactions. */
  execute(db: Kysely<DB>, args: A): Promise<R[]>;
}

/**
 * Compiles `build`'s query once. A slot can stand only where Kysely would send a parameter (a value
 * compared, inserted or set), never where a value changes the SQL (`in` lists, `is null`, a row count).
 * A plugin's `transformQuery` runs once, here; its `transformResult` on every call.
 */
export function compileOnce<DB, A, R>(
  db: Kysely<DB>,
  build: (arg: Arg<A>) => Compilable<R>,
): CompiledStatement<DB, A, R> {
  const slots: Slot<A>[] = [];
  const arg = (pick: (args: A) => unknown = whole) => {
    const slot = { [SLOT]: pick };
    slots.push(slot);
    return slot as never;
  };
  const compiled = build(arg as Arg<A>).compile();
  // A slot Kysely did not send as a parameter would never get its value: refuse such a statement.
  const sent = new Set(compiled.parameters);
  if (slots.some((slot) => !sent.has(slot)))
    throw new Error(`a slot of this statement is not one of its parameters: ${compiled.sql}`);
  const values = compiled.parameters.map((value) => (isSlot(value) ? value[SLOT] : () => value));
  return {
    async execute(executor, args) {
      const parameters = values.map((value) => value(args));
      return (await executor.executeQuery<R>({ ...compiled, parameters })).rows;
    },
  };
}
