// Body-parser failures (too large, malformed JSON) answer in GraphQL's error shape, never as Express's
// HTML page with a stack trace.
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "./logger";

export function bodyErrorHandler(options: { maxRequestBytes: number; logger: Logger }) {
  return (error: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) options.logger.error({ err: error }, "request failed");
    const message =
      status === 413
        ? `The request body is larger than ${options.maxRequestBytes} bytes.`
        : status === 500
          ? "Internal error."
          : "The request body is not valid JSON.";
    res
      .status(status)
      .json({ errors: [{ message, extensions: { code: status === 500 ? "INTERNAL" : "BAD_REQUEST" } }] });
  };
}
