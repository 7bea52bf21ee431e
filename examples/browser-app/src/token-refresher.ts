// The piece a real app copies: a tokenRefresher for AzureCommunicationTokenCredential that asks
// acs-identity-graph for a fresh token of the signed-in user's own identity.
//
// Its operations are sent as persisted queries: build.mjs extracts them into a manifest (Apollo's
// persisted query list format) that the service can be told to trust (TRUSTED_DOCUMENTS_FILE), and the
// link sends each operation's id from that manifest. A service that trusts the manifest runs only
// these operations; one that does not asks for the text once (automatic persisted queries).
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { generatePersistedQueryIdsFromManifest } from "@apollo/persisted-query-lists";
import manifest from "virtual:persisted-query-manifest";

const ISSUE_MY_ACCESS_TOKEN = gql`
  mutation IssueMyAccessToken($scopes: [TokenScope!]!) {
    issueMyAccessToken(scopes: $scopes) {
      token
      expiresOn
      scopes
      identity {
        id
      }
    }
  }
`;

export interface IssuedToken {
  token: string;
  expiresOn: string;
  scopes: string[];
  identity: { id: string };
}

export function createTokenRefresher(
  endpoint: string,
  getBearerToken: () => string,
  onIssued: (issued: IssuedToken) => void,
): (abortSignal?: unknown) => Promise<string> {
  const client = new ApolloClient({
    link: new PersistedQueryLink(
      generatePersistedQueryIdsFromManifest({ loadManifest: () => manifest }),
    ).concat(new HttpLink({ uri: endpoint })),
    cache: new InMemoryCache(),
  });
  return async (abortSignal) => {
    const result = await client.mutate<{ issueMyAccessToken: IssuedToken }>({
      mutation: ISSUE_MY_ACCESS_TOKEN,
      variables: { scopes: ["CHAT", "VOIP"] },
      context: {
        headers: { authorization: `Bearer ${getBearerToken()}` },
        fetchOptions: { signal: abortSignal instanceof AbortSignal ? abortSignal : undefined },
      },
      fetchPolicy: "no-cache",
    });
    if (result.error) {
      const code = CombinedGraphQLErrors.is(result.error)
        ? result.error.errors[0]?.extensions?.code
        : undefined;
      throw new Error(code ? `${code}: ${result.error.message}` : result.error.message);
    }
    const issued = result.data!.issueMyAccessToken;
    onIssued(issued);
    return issued.token;
  };
}
