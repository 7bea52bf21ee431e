// Trusted documents: a production mode in which the service runs only the operations its frontends
// ship, registered ahead of time in a manifest, and refuses every other document. With it, a client
// can send only what was reviewed and built, so query limits stop being a guess at what an attacker
// might write (they still apply, as a backstop).
//
// Manifests in either common format are read:
//   - Apollo's persisted query list (`@apollo/generate-persisted-query-manifest`):
//     {"format": "apollo-persisted-query-manifest", "version": 1,
//      "operations": [{"id": <sha256 of body>, "name", "type", "body"}]}
//   - GraphQL Hive's trusted documents (and most other tools): a JSON object of id -> document.
// A request names its document by Apollo's `extensions.persistedQuery.sha256Hash` or by `documentId`
// (the GraphQL-over-HTTP persisted documents form Hive uses), or sends the registered text itself.
import { parse } from "graphql";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Logger } from "./logger";
import { queryOf, sendJson, type Middleware, type Res } from "./middleware";

export const NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST";

export interface TrustedDocuments {
  /** Document text by id: the manifest's ids, and the sha256 of every document. */
  byId: ReadonlyMap<string, string>;
  /** How many documents the manifest registers. */
  size: number;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Reads and checks a manifest; any problem refuses the start with a message naming the entry. */
export function loadTrustedDocuments(file: string): TrustedDocuments {
  const fail = (why: string): never => {
    throw new Error(`TRUSTED_DOCUMENTS_FILE ${file}: ${why}`);
  };
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    return fail(`cannot be read as JSON (${(error as Error).message})`);
  }
  const entries: Array<[string, unknown]> = [];
  if (manifest && typeof manifest === "object" && "format" in manifest) {
    const apollo = manifest as { format: unknown; version: unknown; operations: unknown };
    if (apollo.format !== "apollo-persisted-query-manifest" || apollo.version !== 1)
      fail('has a "format" but is not an apollo-persisted-query-manifest of version 1');
    if (!Array.isArray(apollo.operations)) fail('has no "operations" list');
    for (const operation of apollo.operations as Array<{ id?: unknown; body?: unknown }>) {
      if (typeof operation?.body !== "string") fail(`operation ${String(operation?.id)} has no body`);
      // Apollo's ids are the body's sha256: a mismatch means an edited or corrupted manifest.
      if (operation.id !== sha256(operation.body as string))
        fail(`operation ${String(operation.id)}: its id is not the sha256 of its body`);
      entries.push([operation.id as string, operation.body]);
    }
  } else if (manifest && typeof manifest === "object" && !Array.isArray(manifest)) {
    entries.push(...Object.entries(manifest));
  } else {
    fail("is neither an Apollo persisted query list nor a JSON object of id -> document");
  }
  const byId = new Map<string, string>();
  for (const [id, body] of entries) {
    if (typeof body !== "string" || id.length === 0) fail(`entry ${id} is not a document`);
    try {
      parse(body as string);
    } catch (error) {
      fail(`entry ${id} is not a GraphQL document: ${(error as Error).message}`);
    }
    byId.set(id, body as string);
    byId.set(sha256(body as string), body as string);
  }
  if (entries.length === 0) fail("registers no documents");
  return { byId, size: entries.length };
}

interface GraphQLBody {
  query?: unknown;
  documentId?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } } & Record<string, unknown>;
}

/**
 * Before Apollo: a request naming a registered document gets that document's text (and loses the id,
 * so Apollo's own automatic persisted queries never see it); a request sending a registered text
 * passes; anything else is answered 400 PERSISTED_QUERY_NOT_IN_LIST, without running.
 */
export function trustedDocumentsOnly(documents: TrustedDocuments, logger: Logger): Middleware {
  const refuse = (res: Res, message: string) => {
    logger.info({ requestId: res.locals.requestId, code: NOT_IN_LIST }, "graphql document refused");
    res.setHeader("cache-control", "no-store");
    sendJson(res, 400, { errors: [{ message, extensions: { code: NOT_IN_LIST } }] });
  };
  return (req, res, next) => {
    if (req.method !== "POST" && req.method !== "GET") return next();
    const params = req.method === "GET" ? queryOf(req) : undefined;
    const body: GraphQLBody = params
      ? { query: params.query, documentId: params.documentId, extensions: parseJson(params.extensions) }
      : ((req.body ?? {}) as GraphQLBody);
    // Arrays (batches) and non-objects are Apollo's to refuse, with its own message.
    if (typeof body !== "object" || Array.isArray(body)) return next();
    const id = body.documentId ?? body.extensions?.persistedQuery?.sha256Hash;
    if (id !== undefined) {
      const text = typeof id === "string" ? documents.byId.get(id) : undefined;
      if (text === undefined)
        return refuse(res, "This operation is not registered with this service (unknown document id).");
      if (typeof body.query === "string" && body.query !== text)
        return refuse(res, "The document sent is not the one registered under this id.");
      if (req.method === "GET")
        // A GET's query string is what Apollo reads: it must carry the registered text itself.
        return typeof body.query === "string" ? next() : refuse(res, "Send registered operations by POST.");
      const rest = { ...body.extensions };
      delete rest.persistedQuery;
      req.body = { ...body, query: text, documentId: undefined, extensions: rest };
      return next();
    }
    if (typeof body.query === "string" && documents.byId.has(sha256(body.query))) return next();
    return refuse(
      res,
      "This service runs only registered operations: send a registered document's id (documentId, or extensions.persistedQuery.sha256Hash).",
    );
  };
}

function parseJson(value: unknown): GraphQLBody["extensions"] {
  if (typeof value !== "string") return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as GraphQLBody["extensions"]) : undefined;
  } catch {
    return undefined;
  }
}
