import type { ServerResponse } from "node:http";

/** The ACS error envelope: `{ error: { code, message, target? } }`. */
export class AcsErrorResponse extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
  ) {
    super(message);
  }

  body(): string {
    return JSON.stringify({
      error: { code: this.code, message: this.message, ...(this.target ? { target: this.target } : {}) },
    });
  }
}

// Bodies recorded from the real service (docs/acs-rest-api.md, "Errors", lists each with its source).
export const denied = () => new AcsErrorResponse(401, "Denied", "Denied by the resource provider.");
export const identityNotOwned = () =>
  new AcsErrorResponse(401, "IdentityNotOwned", "Provided identity doesn't belong to the resource.");
export const scopesRequired = () =>
  new AcsErrorResponse(400, "ValidationError", "Invalid scopes - Scopes field is required.", "scopes");
export const invalidExpiry = (value: unknown) =>
  new AcsErrorResponse(
    400,
    "ValidationError",
    `ExpiresInMinutes value ${String(value)} is invalid. Value must be within the [60, 1440] interval.`,
    "ExpiresInMinutes",
  );
export const invalidAccessToken = () =>
  new AcsErrorResponse(401, "InvalidAccessToken", "Provided access token is not valid.");

// Our choices where the real answer is unknown (documented in README.md).
export const unknownScope = (scope: string) =>
  new AcsErrorResponse(
    400,
    "ValidationError",
    `Invalid scopes - '${scope.slice(0, 40)}' is not a valid scope.`,
    "scopes",
  );
export const malformedId = () =>
  new AcsErrorResponse(400, "ValidationError", "Provided identity is invalid.", "id");
export const identityNotFound = () =>
  new AcsErrorResponse(404, "IdentityNotFound", "Provided identity doesn't exist.");
export const badRequest = (message: string) => new AcsErrorResponse(400, "BadRequest", message);
export const unsupportedApiVersion = (version: string | null) =>
  new AcsErrorResponse(
    400,
    "UnsupportedApiVersion",
    version
      ? `The api-version '${version.slice(0, 40)}' is not supported.`
      : "The api-version query parameter is required.",
    "api-version",
  );
export const routeNotFound = () =>
  new AcsErrorResponse(404, "NotFound", "The requested resource was not found.");

export function sendError(res: ServerResponse, error: AcsErrorResponse): void {
  res.statusCode = error.status;
  res.setHeader("content-type", "application/json");
  // The real service streams error bodies (Transfer-Encoding: chunked); write() before end() does the same.
  res.write(error.body());
  res.end();
}
