import DataLoader from "dataloader";
import type { Caller, IdentityRecord, IdentityService } from "../identity";

/** Per-request batch loaders: a federation query over many users costs one database query. */
export interface IdentityLoaders {
  byOwner: DataLoader<string, IdentityRecord | null>;
  byId: DataLoader<string, IdentityRecord | null>;
}

export function createLoaders(identities: IdentityService, caller: Caller): IdentityLoaders {
  return {
    byOwner: new DataLoader(async (owners) => {
      const found = await identities.queries.identitiesOfOwners(caller, owners);
      return owners.map((owner) => found.get(owner) ?? null);
    }),
    byId: new DataLoader(async (ids) => {
      const found = await identities.queries.identitiesByIds(caller, ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
  };
}
