// The federation batch: a router resolving 100 `User` references in one `_entities` request (the
// service batches them into one owner lookup) against the same 100 sent one request each, in turn.
import { postJson } from "./load";

const ENTITIES =
  "query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id communicationIdentity { id } } } }";

/** Resolves `owners` as User references in one request; throws unless every one came back with its identity. */
async function resolveUsers(url: string, bearer: string, owners: string[]): Promise<void> {
  const representations = owners.map((id) => ({ __typename: "User", id }));
  const { status, body } = await postJson(
    `${url}/graphql`,
    { query: ENTITIES, variables: { representations } },
    { authorization: `Bearer ${bearer}` },
  );
  const entities = (body as { data?: { _entities?: Array<{ communicationIdentity?: { id?: unknown } }> } })
    .data?._entities;
  const resolved = entities?.filter((entity) => typeof entity?.communicationIdentity?.id === "string").length;
  if (status !== 200 || resolved !== owners.length) {
    throw new Error(
      `_entities: HTTP ${status}, ${resolved ?? 0} of ${owners.length} resolved: ${JSON.stringify(body).slice(0, 300)}`,
    );
  }
}

/** Milliseconds for one batched request and for the same references one by one, `rounds` times interleaved. */
export async function benchFederationBatch(
  url: string,
  bearer: string,
  owners: string[],
  rounds: number,
): Promise<Array<{ batchMs: number; oneByOneMs: number; ratio: number }>> {
  const timed = async (run: () => Promise<void>) => {
    const started = performance.now();
    await run();
    return performance.now() - started;
  };
  const batch = () => resolveUsers(url, bearer, owners);
  const oneByOne = async () => {
    for (const owner of owners) await resolveUsers(url, bearer, [owner]);
  };
  await batch(); // warm-up: both query shapes parsed and planned once
  await resolveUsers(url, bearer, owners.slice(0, 1));
  const results = [];
  for (let round = 0; round < rounds; round += 1) {
    const batchMs = await timed(batch);
    const oneByOneMs = await timed(oneByOne);
    results.push({
      batchMs: round2(batchMs),
      oneByOneMs: round2(oneByOneMs),
      ratio: round2(oneByOneMs / batchMs),
    });
  }
  return results;
}

const round2 = (value: number) => Number(value.toFixed(2));
