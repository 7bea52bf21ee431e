import type { Migration, MigrationProvider } from "kysely";
import { identitiesAndAudit } from "./2026-11-24-001-identities-and-audit";
import { millisecondTimesAndUuidAuditIds } from "./2026-11-25-001-millisecond-times-and-uuid-audit-ids";
import { auditOperation } from "./2026-11-25-002-audit-operation";
import { auditCallerKindClientRequestIdCount } from "./2026-11-30-001-audit-caller-kind-client-request-id-count";
import { identityCreations } from "./2026-11-30-002-identity-creations";
import { lastTokenIssueIndex } from "./2026-11-30-003-last-token-issue-index";

// Migrations are code, applied in the order of their names, the same on the embedded database and
// on PostgreSQL. Never edit one that has shipped: add the next.
export const migrations: Record<string, Migration> = {
  "2026-11-24-001-identities-and-audit": identitiesAndAudit,
  "2026-11-25-001-millisecond-times-and-uuid-audit-ids": millisecondTimesAndUuidAuditIds,
  "2026-11-25-002-audit-operation": auditOperation,
  "2026-11-30-001-audit-caller-kind-client-request-id-count": auditCallerKindClientRequestIdCount,
  "2026-11-30-002-identity-creations": identityCreations,
  "2026-11-30-003-last-token-issue-index": lastTokenIssueIndex,
};

/** A static provider: no folder scanning, so the migrations ship inside the build. */
export const migrationProvider: MigrationProvider = { getMigrations: async () => migrations };
