// The ACS side of the core's actions, kept in step with the store: creating identities so that none is
// left in ACS without its mapping, and minting tokens for a stored identity.
import { notFound } from "../errors";
import type { AcsScope, IdentityRecord } from "./model";
import type { AcsIdentityBackend, IdentityStore } from "./ports";

export interface MintedToken {
  token: string;
  expiresOn: Date;
  scopes: AcsScope[];
  identity: IdentityRecord;
}

export interface Provisioned {
  record: IdentityRecord;
  /** True when this call created the identity (and so must record its creation). */
  created: boolean;
}

export class IdentityProvisioner {
  constructor(
    private readonly acs: AcsIdentityBackend,
    private readonly store: IdentityStore,
    private readonly now: () => Date,
  ) {}

  /** The owner's identity, created in ACS and stored exactly once if they have none yet. */
  async forOwner(owner: string, createdBy: string): Promise<Provisioned> {
    const result = await this.store.getOrCreateForOwner(
      owner,
      async () => ({ id: (await this.acs.createIdentity()).id, owner, createdBy, createdAt: this.now() }),
      (id) => this.acs.deleteIdentity(id),
    );
    return { ...result, record: notBeingDeleted(result.record) };
  }

  /** A new identity with no owner; if it cannot be stored, it is deleted from ACS again. */
  async withoutOwner(createdBy: string): Promise<Provisioned> {
    const { id } = await this.acs.createIdentity();
    try {
      const record = await this.store.insert({ id, owner: null, createdBy, createdAt: this.now() });
      return { record, created: true };
    } catch (error) {
      await this.acs.deleteIdentity(id).catch(() => undefined); // leave no orphan in ACS
      throw error;
    }
  }

  /** An existing owner's identity, refused while its delete is pending. */
  existing(record: IdentityRecord): Provisioned {
    return { record: notBeingDeleted(record), created: false };
  }

  async mint(record: IdentityRecord, scopes: AcsScope[], minutes: number): Promise<MintedToken> {
    // Nothing is written here: the token.issue audit event is the mint's record (see identity-service).
    const issued = await this.acs.issueToken(record.id, scopes, minutes);
    return { token: issued.token, expiresOn: issued.expiresOn, scopes, identity: record };
  }
}

/** An owner's identity whose delete is pending blocks both its use and a new one for that owner. */
function notBeingDeleted(record: IdentityRecord): IdentityRecord {
  if (record.deletionRequestedAt) {
    throw notFound(
      "This identity is being deleted; an operator must complete the delete before a new one is created.",
    );
  }
  return record;
}
