// The operations use cases against in-memory fakes of their ports: recovery is an operator's
// (identity:delete), and refusals made outside the core reach the audit trail, aggregated until flushed.
import { alice, admin, fakeCore, type FakeCore } from "./fake-service";

let store: FakeCore["store"];
let audit: FakeCore["audit"];
let service: FakeCore["service"];
let actions: FakeCore["actions"];
beforeEach(() => {
  ({ store, audit, service, actions } = fakeCore());
});

/** A create whose identity ACS made but the database could not store: left open in the ledger. */
async function createLeftOpen() {
  const seed = store.seed.bind(store);
  store.seed = async () => {
    throw new Error("database down");
  };
  await expect(service.lifecycle.createIdentity(admin, null)).rejects.toThrow("could not be recorded");
  store.seed = seed;
}

test("pending operations and the reconciler are an operator's: others are refused and recorded", async () => {
  await expect(service.operations.pendingOperations(alice, 10)).rejects.toMatchObject({ code: "FORBIDDEN" });
  await expect(service.operations.reconcile(alice)).rejects.toMatchObject({ code: "FORBIDDEN" });
  expect(actions()).toEqual(["identity.list denied", "identity.reconcile denied"]);
});

test("an operator sees a create left open, and reconciling stores it", async () => {
  await createLeftOpen();
  const pending = await service.operations.pendingOperations(admin, 10);
  expect(pending).toMatchObject({ deletes: [], creations: [{ outcome: "pending", createdBy: "root" }] });
  expect(await service.operations.reconcile(admin)).toMatchObject({ recordedCreates: 1, failures: 0 });
  expect((await service.operations.pendingOperations(admin, 10)).creations).toEqual([]);
});

test("identical refusals recorded for the schema's guard are one event; the flush adds the repeats", async () => {
  const attempt = { action: "identity.delete" as const, identityId: "not-an-id" };
  await service.operations.recordDenial(alice, attempt);
  await service.operations.recordDenial(alice, attempt);
  expect(audit.events).toEqual([expect.objectContaining({ outcome: "denied", identityId: null, count: 1 })]);
  await service.operations.flushAudit();
  expect(audit.events[0].count).toBe(2);
});
