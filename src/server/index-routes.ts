import type { Request, Response, Router } from "express";
import express from "express";

/** What `GET /` lists for API clients: where everything this server answers lives. */
export const INDEX = {
  name: "acs-identity-graph",
  graphql: "/graphql",
  health: "/healthz",
  readiness: "/readyz",
  metrics: "/metrics",
} as const;

/**
 * The root and everything no other route answers; mount it after all other routes. `GET /` sends a
 * browser to `/graphql` (Sandbox, or the production landing page) and gives any other client a JSON
 * index. Unknown paths answer 404 in the GraphQL error shape the rest of the API uses, instead of
 * Express's HTML page; the path is not echoed back.
 */
export function indexRoutes(): Router {
  const router = express.Router();
  router.get("/", (req: Request, res: Response) => {
    res.vary("accept");
    if (req.accepts(["json", "html"]) === "html") {
      res.redirect(302, INDEX.graphql);
      return;
    }
    res.json(INDEX);
  });
  router.use((_req: Request, res: Response) => {
    res.status(404).json({
      errors: [
        {
          message: `Nothing is served at this path. The API is at ${INDEX.graphql}.`,
          extensions: { code: "NOT_FOUND" },
        },
      ],
    });
  });
  return router;
}
