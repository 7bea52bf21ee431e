// A real GraphQL client (Apollo Client over HTTP) for end-to-end tests, with results flattened to
// { data, errors } so tests can assert on error codes. Its fetch is tapped by the secret sweep: the
// bearer token it sends and the tokens and errors it receives are recorded (see secret-sweep.ts).
import {
  ApolloClient,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
  type DocumentNode,
} from "@apollo/client";
import { parse } from "graphql";
import { tapFetch } from "./secret-sweep";

export interface GraphQLResult<T = Record<string, unknown>> {
  data: T | null;
  errors: Array<{ message: string; code: string | undefined; extensions: Record<string, unknown> }>;
}

export interface TestClient {
  request<T = Record<string, any>>(
    source: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResult<T>>;
}

export function graphqlClient(url: string, bearerToken?: string): TestClient {
  const client = new ApolloClient({
    link: new HttpLink({
      uri: url,
      headers: bearerToken ? { authorization: `Bearer ${bearerToken}` } : {},
      fetch: tapFetch(globalThis.fetch),
    }),
    cache: new InMemoryCache({ addTypename: false } as never),
    defaultOptions: { query: { fetchPolicy: "no-cache" }, mutate: { fetchPolicy: "no-cache" } },
  });
  return {
    async request<T>(source: string, variables: Record<string, unknown> = {}) {
      const document: DocumentNode = parse(source);
      const isMutation = document.definitions.some(
        (d) => d.kind === "OperationDefinition" && d.operation === "mutation",
      );
      const result = isMutation
        ? await client.mutate<T>({ mutation: document, variables, errorPolicy: "all" })
        : await client.query<T>({ query: document, variables, errorPolicy: "all" });
      const error = result.error;
      const graphQLErrors = [...(CombinedGraphQLErrors.is(error) ? error.errors : [])];
      if (error && !CombinedGraphQLErrors.is(error)) {
        // A transport-level failure (e.g. HTTP 401 with a GraphQL body) still carries the errors.
        const body = (error as { result?: { errors?: typeof graphQLErrors } }).result;
        if (body?.errors) graphQLErrors.push(...body.errors);
        else throw error;
      }
      return {
        data: (stripTypename(result.data) as T | undefined) ?? null,
        errors: graphQLErrors.map((e) => ({
          message: e.message,
          code: e.extensions?.code as string | undefined,
          extensions: (e.extensions ?? {}) as Record<string, unknown>,
        })),
      };
    },
  };
}

// Apollo Client adds __typename to every selection; tests compare against what they asked for.
function stripTypename(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripTypename);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "__typename")
        .map(([key, v]) => [key, stripTypename(v)]),
    );
  }
  return value;
}

/** A browser's CORS preflight for a POST with a bearer token, from `origin`. */
export function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    },
  });
}
