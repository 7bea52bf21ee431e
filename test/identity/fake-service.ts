// The identity core over the in-memory fakes of its ports, fresh for each test of a use-case module.
import { IdentityService } from "../../src/identity";
import {
  callerAs,
  FakeAcs,
  MemoryAuditLog,
  MemoryCreationLedger,
  MemoryStore,
  RecordingLimiter,
} from "./fakes";

export interface FakeCore {
  acs: FakeAcs;
  store: MemoryStore;
  audit: MemoryAuditLog;
  limiter: RecordingLimiter;
  service: IdentityService;
  /** The audit trail so far, as `action outcome`. */
  actions: () => string[];
}

/** A fresh core: call it in a `beforeEach`. */
export function fakeCore(): FakeCore {
  const acs = new FakeAcs();
  const store = new MemoryStore();
  const audit = new MemoryAuditLog();
  const limiter = new RecordingLimiter();
  const service = new IdentityService({
    acs,
    store,
    creations: new MemoryCreationLedger(store, audit),
    audit,
    limiter,
  });
  const actions = () => audit.events.map((e) => `${e.action} ${e.outcome}`);
  return { acs, store, audit, limiter, service, actions };
}

export const alice = callerAs("alice", ["user"]);
export const admin = callerAs("root", ["admin"]);
