import { Arg, Ctx, Int, Mutation, Query, Resolver } from "type-graphql";
import type { Caller } from "../../identity";
import type { GraphQLContext } from "../context";
import { CurrentCaller, Guard } from "../guard";
import { PendingIdentityOperations, ReconcileReport } from "../types/pending-operations";

/** The operator's view of recovery: what is half done, and running the reconciler now. */
@Resolver()
export class ReconcileResolver {
  @Guard("identity:delete")
  @Query(() => PendingIdentityOperations, {
    description:
      "Deletes and creates that failures (lost answers, timeouts, a killed process) left half done; the reconciler finishes them. Needs identity:delete.",
  })
  pendingIdentityOperations(
    @Arg("first", () => Int, { defaultValue: 100, description: "At most this many of each, 1 to 100." })
    first: number,
    @Ctx() { identities }: GraphQLContext,
    @CurrentCaller() caller: Caller,
  ) {
    return identities.operations.pendingOperations(caller, first);
  }

  @Guard("identity:delete")
  @Mutation(() => ReconcileReport, {
    description:
      "Runs the reconciler now (it also runs at start and periodically): completes requested deletes and stores identities whose create answer was lost. Needs identity:delete.",
  })
  reconcileIdentities(@Ctx() { identities }: GraphQLContext, @CurrentCaller() caller: Caller) {
    return identities.operations.reconcile(caller);
  }
}
