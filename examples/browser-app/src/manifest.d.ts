// The persisted query manifest that build.mjs extracts from this app's operations before bundling
// (`npx generate-persisted-query-manifest`), resolved by its esbuild plugin.
declare module "virtual:persisted-query-manifest" {
  import type { PersistedQueryManifestForVerification } from "@apollo/persisted-query-lists";
  const manifest: PersistedQueryManifestForVerification;
  export default manifest;
}
