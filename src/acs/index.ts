// The only module that imports @azure/communication-identity and @azure/identity. It builds the SDK
// client (connection string, or endpoint plus the Entra ID credential ACS_CREDENTIAL names, with any
// private CA trusted), bounds every call with a timeout, and maps SDK errors to AppErrors.
// May import: config types, errors, identity/model and identity/ports.
export { createAcsBackend } from "./acs-backend";
export type { AcsBackendOptions } from "./acs-backend";
export { ACS_SCOPE, createAzureCredential, entraClient, trustPolicies } from "./credential";
