// In-memory fakes of the identity core's ports, for the fast unit layer. They honour each port's
// contract as far as the core relies on it (one active identity per owner, ordered audit events); the
// real adapters are tested against the same behaviour in test/store, test/acs and the end-to-end suites.
import type {
  AcsIdentityBackend,
  AuditLog,
  Caller,
  IdentityRecord,
  IdentityStore,
  NewAuditEvent,
  NewIdentity,
  RateBucket,
  RateLimiter,
  AuditEvent,
  CreationLedger,
  CreationOutcome,
  IdentityCreation,
  NewCreation,
  Page,
} from "../../src/identity";
import { DEFAULT_POLICY, effectivePolicy } from "../../src/identity";
import { notFound } from "../../src/errors";

const RESOURCE = "00000000-0000-4000-8000-000000000000";

export class FakeAcs implements AcsIdentityBackend {
  /** `now` dates the tokens it issues (a simulation's clock); without it, they expire in 2030. */
  constructor(private readonly now?: () => Date) {}
  readonly calls: string[] = [];
  readonly identities = new Set<string>();
  private next = 0;
  /** Set to make the next calls of that operation fail with this error. */
  failing: Partial<Record<"createIdentity" | "issueToken" | "revokeTokens" | "deleteIdentity", Error>> = {};

  private readonly byCustomId = new Map<string, string>();

  /** A repeated customId gets the same identity, as in ACS. */
  async createIdentity(customId?: string) {
    this.calls.push("create");
    if (this.failing.createIdentity) throw this.failing.createIdentity;
    const known = customId === undefined ? undefined : this.byCustomId.get(customId);
    if (known) return { id: known };
    const id = `8:acs:${RESOURCE}_${String(++this.next).padStart(8, "0")}`;
    this.identities.add(id);
    if (customId !== undefined) this.byCustomId.set(customId, id);
    return { id };
  }
  async issueToken(id: string, _scopes: unknown, minutes: number) {
    this.calls.push(`issue ${id}`);
    if (this.failing.issueToken) throw this.failing.issueToken;
    // As ACS answers for an identity it does not have (deleted, perhaps by another replica).
    if (!this.identities.has(id)) throw notFound(`ACS has no identity ${id}`);
    const from = this.now ? this.now().getTime() : Date.UTC(2030, 0, 1);
    return { token: `token-${this.calls.length}-for-${id}`, expiresOn: new Date(from + minutes * 60_000) };
  }
  async revokeTokens(id: string) {
    this.calls.push(`revoke ${id}`);
    if (this.failing.revokeTokens) throw this.failing.revokeTokens;
  }
  async deleteIdentity(id: string) {
    this.calls.push(`delete ${id}`);
    if (this.failing.deleteIdentity) throw this.failing.deleteIdentity;
    this.identities.delete(id);
  }
  async exchangeTeamsToken() {
    this.calls.push("exchangeTeams");
    return { token: "teams-token", expiresOn: new Date(Date.UTC(2030, 0, 1)) };
  }
  async ping() {}
}

export class MemoryStore implements IdentityStore {
  readonly rows = new Map<string, IdentityRecord>();

  async findById(id: string) {
    return this.rows.get(id);
  }
  async findActiveByOwner(owner: string) {
    return [...this.rows.values()].find((row) => row.owner === owner && !row.deletedAt);
  }
  async findActiveByOwners(owners: readonly string[]) {
    const found = new Map<string, IdentityRecord>();
    for (const owner of owners) {
      const row = await this.findActiveByOwner(owner);
      if (row) found.set(owner, row);
    }
    return found;
  }
  async findByIds(ids: readonly string[], owner?: string) {
    const visible = (id: string) =>
      this.rows.has(id) && (owner === undefined || this.rows.get(id)!.owner === owner);
    return new Map(ids.flatMap((id) => (visible(id) ? [[id, this.rows.get(id)!] as const] : [])));
  }
  async list(): Promise<Page<IdentityRecord>> {
    const items = [...this.rows.values()];
    return { items, cursors: items.map((item) => item.id), endCursor: null, hasNextPage: false };
  }
  /** Test-only: stores an identity as given (the ledger's `complete`, and tests, seed rows with it). */
  async seed(identity: NewIdentity) {
    const record: IdentityRecord = {
      ...identity,
      lastTokenIssuedAt: null,
      tokensRevokedAt: null,
      deletionRequestedAt: null,
      deletedAt: null,
    };
    this.rows.set(identity.id, record);
    return record;
  }
  async markTokensRevoked(id: string, at: Date) {
    this.update(id, { tokensRevokedAt: at });
  }
  async markDeletionRequested(id: string, at: Date) {
    return this.update(id, { deletionRequestedAt: this.rows.get(id)?.deletionRequestedAt ?? at });
  }
  async markDeleted(id: string, at: Date) {
    return this.update(id, {
      deletedAt: at,
      deletionRequestedAt: this.rows.get(id)?.deletionRequestedAt ?? at,
    });
  }
  async pendingDeletes(before: Date, limit: number) {
    return [...this.rows.values()]
      .filter((row) => !row.deletedAt && row.deletionRequestedAt && row.deletionRequestedAt < before)
      .slice(0, limit);
  }
  private update(id: string, values: Partial<IdentityRecord>) {
    const row = this.rows.get(id);
    if (!row) throw notFound(`No identity ${id}`);
    const updated = { ...row, ...values };
    this.rows.set(id, updated);
    return updated;
  }
}

/** The creation ledger in memory: stores the identity and its audit event together, like the SQL one. */
export class MemoryCreationLedger implements CreationLedger {
  readonly open = new Map<string, IdentityCreation & { leaseUntil: number }>();
  private next = 0;

  constructor(
    private readonly store: MemoryStore,
    private readonly audit: MemoryAuditLog,
  ) {}

  async claim(
    request: NewCreation,
    { now, leaseMs, resumeStale }: { now: Date; leaseMs: number; resumeStale: boolean },
  ) {
    const mine =
      request.owner === null
        ? undefined
        : [...this.open.values()].find((c) => c.owner === request.owner && c.outcome === "pending");
    if (mine && mine.leaseUntil > now.getTime()) return { creation: mine, held: false };
    if (mine && (resumeStale || mine.identityId)) {
      Object.assign(mine, { requestId: request.requestId, operation: request.operation });
      mine.leaseUntil = now.getTime() + leaseMs;
      return { creation: mine, held: true };
    }
    if (mine) mine.outcome = "unknown";
    const creation = {
      ...request,
      key: `creation-${++this.next}`,
      requestedAt: now,
      outcome: "pending" as const,
      identityId: null,
      leaseUntil: now.getTime() + leaseMs,
    };
    this.open.set(creation.key, creation);
    return { creation, held: true };
  }
  async complete(creation: IdentityCreation, id: string, at: Date) {
    const stored = await this.store.findById(id);
    if (stored) {
      this.open.delete(creation.key);
      return { record: stored, created: false };
    }
    const taken = creation.owner === null ? undefined : await this.store.findActiveByOwner(creation.owner);
    if (taken) return { taken };
    const record = await this.store.seed({
      id,
      owner: creation.owner,
      createdBy: creation.createdBy,
      createdAt: at,
    });
    await this.audit.record({
      at,
      actor: creation.createdBy,
      action: "identity.create",
      identityId: id,
      scopes: null,
      expiresOn: null,
      outcome: "success",
      errorCode: null,
      requestId: creation.requestId,
      operation: creation.operation,
    });
    this.open.delete(creation.key);
    return { record, created: true };
  }
  async abandon(key: string) {
    this.open.delete(key);
  }
  async release(key: string, change: { outcome?: CreationOutcome; identityId?: string }) {
    const creation = this.open.get(key);
    if (!creation) return;
    creation.leaseUntil = 0;
    if (change.outcome) creation.outcome = change.outcome;
    if (change.identityId) creation.identityId = change.identityId;
  }
  async claimStale({ now, leaseMs, limit }: { now: Date; leaseMs: number; limit: number }) {
    const stale = [...this.open.values()].filter(
      (c) => c.outcome === "pending" && c.leaseUntil <= now.getTime(),
    );
    for (const creation of stale) creation.leaseUntil = now.getTime() + leaseMs;
    return stale.slice(0, limit);
  }
  async list(limit: number) {
    return [...this.open.values()].slice(0, limit);
  }
  async countUnknown() {
    return [...this.open.values()].filter((c) => c.outcome === "unknown").length;
  }
}

export class MemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];
  /** Set to make every write fail. */
  failing: Error | undefined;

  async record(event: NewAuditEvent) {
    if (this.failing) throw this.failing;
    const stored: AuditEvent = {
      ...event,
      id: String(this.events.length + 1),
      at: event.at ?? new Date(),
      operation: event.operation ?? null,
      callerKind: event.callerKind ?? null,
      clientRequestId: event.clientRequestId ?? null,
      count: event.count ?? 1,
    };
    this.events.push(stored);
    return stored;
  }
  async addToCount(id: string, by: number) {
    const event = this.events.find((candidate) => candidate.id === id);
    if (event) event.count += by;
  }
  async list(): Promise<Page<AuditEvent>> {
    return {
      items: this.events,
      cursors: this.events.map((event) => event.id),
      endCursor: null,
      hasNextPage: false,
    };
  }
}

/** Records what was consumed; refuses with `refusal` when set. */
export class RecordingLimiter implements RateLimiter {
  readonly consumed: RateBucket[][] = [];
  refusal: Error | undefined;

  async consume(buckets: RateBucket | readonly RateBucket[]) {
    if (this.refusal) throw this.refusal;
    this.consumed.push(typeof buckets === "string" ? [buckets] : [...buckets]);
  }
}

/** A caller with the default policy's roles. */
export function callerAs(subject: string | null, roles: string[] = []): Caller {
  return {
    subject,
    effective: effectivePolicy(DEFAULT_POLICY, { subject, roles }),
    requestId: "request-0001",
    clientAddress: "127.0.0.1",
  };
}
