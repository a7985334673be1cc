// Peer: Express on Node, with express.json() and Zod (schema-zod.mjs).
//   GET /hello   → {"message":"Hello, World!"}
//   POST /schema → body, query and header validated and echoed; 400 when invalid.
// PORT=0 picks a free port; `ready <port>` when listening.

import express from "express";
import { validateSchemaRequest } from "./schema-zod.mjs";

const app = express();

app.get("/hello", (req, res) => {
  res.json({ message: "Hello, World!" });
});

app.post("/schema", express.json(), (req, res) => {
  const result = validateSchemaRequest(req.body, req.query, { "x-foo": req.get("x-foo") });
  if (result.issues) res.status(400).json({ issues: result.issues });
  else res.json(result.reply);
});

const server = app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`ready ${server.address().port}`);
});

process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
