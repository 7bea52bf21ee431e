// A real GraphQL client (urql's core client over HTTP) for end-to-end tests, with results flattened to
// { data, errors } so tests can assert on error codes. Its fetch is tapped by the secret sweep: the
// bearer token it sends and the tokens and errors it receives are recorded (see secret-sweep.ts).
// (urql rather than Apollo Client: every test file loads this, and Apollo Client cost each 0.2 s of CPU
// to load, urql 0.01 s; test/clients runs Apollo Client, urql, graphql-request and Relay against the
// service.)
import { Client, fetchExchange } from "@urql/core";
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
  const client = new Client({
    url,
    exchanges: [fetchExchange],
    fetch: tapFetch(globalThis.fetch),
    fetchOptions: { headers: bearerToken ? { authorization: `Bearer ${bearerToken}` } : {} },
    // Every operation is a POST that reaches the server: no GET for queries, no shared in-flight result.
    preferGetMethod: false,
    requestPolicy: "network-only",
  });
  return {
    async request<T>(source: string, variables: Record<string, unknown> = {}) {
      const isMutation = parse(source).definitions.some(
        (d) => d.kind === "OperationDefinition" && d.operation === "mutation",
      );
      const result = isMutation
        ? await client.mutation<T>(source, variables).toPromise()
        : await client.query<T>(source, variables).toPromise();
      const graphQLErrors = result.error?.graphQLErrors ?? [];
      // A transport failure with no GraphQL answer (a refused connection, a body that is not JSON).
      // An HTTP 401 with a GraphQL body is an answer: its errors are returned like any others.
      if (result.error?.networkError && graphQLErrors.length === 0) throw result.error.networkError;
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

// Tests compare against the fields they name, without __typename where a query asks for it.
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
