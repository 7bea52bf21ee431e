// Relay clients page with `edges { cursor node }` and `pageInfo`: every edge's cursor resumes right
// after its node, and the shortcut `nodes` lists the same items.
import * as op from "../support/operations";
import { startTestService, type TestService } from "../support/service";

let service: TestService;
beforeAll(async () => {
  service = await startTestService({ RATE_LIMIT_CREATE_PER_MINUTE: "1000" });
  const admin = await service.as("ops", ["admin"]);
  for (const owner of ["relay-a", "relay-b", "relay-c"]) await admin.request(op.CREATE, { owner });
});
afterAll(() => service?.stop());

const LIST = `query($first: Int!, $after: String) {
  communicationIdentities(first: $first, after: $after) {
    edges { cursor node { id owner } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

test("identities page through edge cursors", async () => {
  const admin = await service.as("ops", ["admin"]);
  const all = (await admin.request(LIST, { first: 100 })).data!.communicationIdentities;
  const owners = all.edges.map((edge: any) => edge.node.owner);
  expect(owners).toEqual(expect.arrayContaining(["relay-a", "relay-b", "relay-c"]));
  expect(all.nodes.map((node: any) => node.id)).toEqual(all.edges.map((edge: any) => edge.node.id));
  expect(all.pageInfo).toMatchObject({
    hasNextPage: false,
    hasPreviousPage: false,
    startCursor: all.edges[0].cursor,
    endCursor: all.edges.at(-1).cursor,
  });
  // Resuming after the first edge's cursor gives everything after it.
  const rest = (await admin.request(LIST, { first: 100, after: all.edges[0].cursor })).data!
    .communicationIdentities;
  expect(rest.edges.map((edge: any) => edge.node.id)).toEqual(all.edges.slice(1).map((e: any) => e.node.id));
  const first = (await admin.request(LIST, { first: 1 })).data!.communicationIdentities;
  expect(first.pageInfo).toMatchObject({ hasNextPage: true, startCursor: first.edges[0].cursor });
});

test("audit events page through edge cursors", async () => {
  const admin = await service.as("ops", ["admin"]);
  const AUDIT = `query($after: String) { auditEvents(first: 2, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage startCursor endCursor } } }`;
  const page = (await admin.request(AUDIT)).data!.auditEvents;
  expect(page.edges).toHaveLength(2);
  expect(page.pageInfo).toMatchObject({ hasNextPage: true, endCursor: page.edges[1].cursor });
  const next = (await admin.request(AUDIT, { after: page.edges[0].cursor })).data!.auditEvents;
  expect(next.edges[0].node.id).toBe(page.edges[1].node.id);
});
