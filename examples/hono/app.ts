// A Hono app that knows nothing of Keel: the one you already have. server.ts serves it.

import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { streamSSE } from "hono/streaming";
import { z } from "zod";

const notes: Array<{ id: number; text: string }> = [];

export const app = new Hono();

app.use("*", secureHeaders());
app.use("/notes/*", cors());

app.get("/hello", (c) => c.text("Hello from Hono on Keel!"));

app.get("/notes", (c) => c.json(notes));

app.post("/notes", zValidator("json", z.object({ text: z.string().min(1).max(280) })), (c) => {
  const note = { id: notes.length + 1, text: c.req.valid("json").text };
  notes.push(note);
  return c.json(note, 201);
});

// Server-sent events: one tick per second, for as long as the client stays.
app.get("/ticks", (c) =>
  streamSSE(c, async (stream) => {
    for (let tick = 1; !stream.aborted; tick++) {
      await stream.writeSSE({ event: "tick", data: String(tick) });
      await stream.sleep(1000);
    }
  }),
);
