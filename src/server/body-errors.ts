// Body-parser failures (too large, malformed JSON, a charset or encoding it cannot read) answer in
// GraphQL's error shape, never as Express's HTML page with a stack trace, and are never cached.
import { principalOf } from "./authenticate";
import type { Logger } from "./logger";
import { sendJson, type ErrorMiddleware } from "./middleware";

/** What body-parser (express.json) reports: its `type` says which failure, with the offending value. */
interface BodyError {
  status?: number;
  type?: string;
  charset?: string;
  encoding?: string;
}

// Echoed in the message only when plain (a charset or encoding name), so nothing odd is reflected.
const plain = (value: string | undefined) =>
  value !== undefined && /^[\w.-]{1,40}$/.test(value) ? `"${value}" ` : "";

export function bodyErrorHandler(options: {
  maxRequestBytes: number;
  anonymousMaxRequestBytes: number;
  logger: Logger;
}): ErrorMiddleware {
  // Four parameters, so that Express, which mounts it too, knows it for an error handler.
  return (thrown, _req, res, _next) => {
    const error = (thrown ?? {}) as BodyError;
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500)
      options.logger.error({ requestId: res.locals.requestId, err: error }, "request failed");
    let code = "BAD_REQUEST";
    let message = "The request body is not valid JSON.";
    if (status === 413)
      message =
        principalOf(res.locals).subject === null
          ? `Without a bearer token the request body may be at most ${options.anonymousMaxRequestBytes} bytes.`
          : `The request body is larger than ${options.maxRequestBytes} bytes.`;
    else if (status === 500) [code, message] = ["INTERNAL", "Internal error."];
    else if (error.type === "charset.unsupported")
      [code, message] = [
        "UNSUPPORTED_MEDIA_TYPE",
        `The request body's charset ${plain(error.charset)}is not supported: send UTF-8 JSON.`,
      ];
    else if (error.type === "encoding.unsupported")
      [code, message] = [
        "UNSUPPORTED_MEDIA_TYPE",
        `The request body's content encoding ${plain(error.encoding)}is not supported: send it uncompressed, or with gzip, deflate or br.`,
      ];
    res.setHeader("cache-control", "no-store");
    sendJson(res, status, { errors: [{ message, extensions: { code } }] });
  };
}
