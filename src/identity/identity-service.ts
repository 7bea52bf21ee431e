// The identity core's composition root: builds the one dependency bundle (collaborators.ts) from the
// ports and hands it to the use-case modules, which callers reach by job: `tokens`, `lifecycle`,
// `queries` and `operations`. It holds no use case itself. The core sees only interfaces (ACS, store,
// audit, rate limiter, token cache): no GraphQL, no SQL, no SDK.
import { buildCollaborators, type IdentityServiceDeps } from "./collaborators";
import { IdentityLifecycle } from "./identity-lifecycle";
import { IdentityQueries } from "./identity-queries";
import type { Reconciler } from "./reconciler";
import { ServiceOperations } from "./service-operations";
import { TokenIssuing } from "./token-issuing";
import type { TokenReuse } from "./token-reuse";

export class IdentityService {
  /** Handing out tokens: for a user of the graph, an identity, a new identity, a Teams user. */
  readonly tokens: TokenIssuing;
  /** Creating identities, revoking their tokens, deleting them. */
  readonly lifecycle: IdentityLifecycle;
  /** Reading identities and the audit trail. */
  readonly queries: IdentityQueries;
  /** Recovery for operators and the audit trail's upkeep. */
  readonly operations: ServiceOperations;
  /** Finishes what failures left half done; run it at start and periodically (the server does). */
  readonly reconciler: Reconciler;
  /** Set when token reuse is on; its stats are the hits and misses. */
  readonly tokenReuse: TokenReuse | undefined;

  constructor(deps: IdentityServiceDeps) {
    const collaborators = buildCollaborators(deps);
    this.tokens = new TokenIssuing(collaborators);
    this.lifecycle = new IdentityLifecycle(collaborators);
    this.queries = new IdentityQueries(collaborators);
    this.operations = new ServiceOperations(collaborators);
    this.reconciler = collaborators.reconciler;
    this.tokenReuse = collaborators.tokenReuse;
  }
}
