// The operations the end-to-end tests send, written as a frontend would.
export const IDENTITY_FIELDS = "id owner createdAt lastTokenIssuedAt tokensRevokedAt deletedAt";

export const VIEWER = `query { viewer { authenticated subject roles permissions allowedScopes maxTokenLifetimeMinutes } }`;
export const MY_IDENTITY = `query { myCommunicationIdentity { ${IDENTITY_FIELDS} } }`;
export const IDENTITY = `query($id: ID!) { communicationIdentity(id: $id) { ${IDENTITY_FIELDS} } }`;
export const IDENTITIES = `query($first: Int, $after: String, $owner: String) {
  communicationIdentities(first: $first, after: $after, owner: $owner) { nodes { ${IDENTITY_FIELDS} } pageInfo { endCursor hasNextPage } }
}`;
export const AUDIT = `query($first: Int, $after: String, $identityId: ID, $actor: String) {
  auditEvents(first: $first, after: $after, identityId: $identityId, actor: $actor) {
    nodes { id at actor action identityId scopes expiresOn outcome errorCode requestId }
    pageInfo { endCursor hasNextPage }
  }
}`;
export const ISSUE_MY = `mutation($scopes: [TokenScope!]!, $minutes: Int) {
  issueMyAccessToken(scopes: $scopes, expiresInMinutes: $minutes) { token expiresOn scopes identity { ${IDENTITY_FIELDS} } }
}`;
export const CREATE = `mutation($owner: String) { createCommunicationIdentity(owner: $owner) { ${IDENTITY_FIELDS} } }`;
export const CREATE_WITH_TOKEN = `mutation($owner: String, $scopes: [TokenScope!]!, $minutes: Int) {
  createCommunicationIdentityWithToken(owner: $owner, scopes: $scopes, expiresInMinutes: $minutes) { token expiresOn scopes identity { ${IDENTITY_FIELDS} } }
}`;
export const ISSUE = `mutation($id: ID!, $scopes: [TokenScope!]!, $minutes: Int) {
  issueAccessToken(identityId: $id, scopes: $scopes, expiresInMinutes: $minutes) { token expiresOn scopes identity { ${IDENTITY_FIELDS} } }
}`;
export const REVOKE = `mutation($id: ID!) { revokeAccessTokens(identityId: $id) { ${IDENTITY_FIELDS} } }`;
export const DELETE = `mutation($id: ID!) { deleteCommunicationIdentity(identityId: $id) { ${IDENTITY_FIELDS} } }`;
export const ISSUE_FOR_USER = `mutation($userId: ID!, $scopes: [TokenScope!]!, $minutes: Int) {
  issueUserAccessToken(userId: $userId, scopes: $scopes, expiresInMinutes: $minutes) { token expiresOn scopes identity { ${IDENTITY_FIELDS} } }
}`;
