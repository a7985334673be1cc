// Differential testing: one app, served by Keel in this process and by the framework's native
// server in a child process (native-server.ts), must answer every request of a corpus alike.

import { fileURLToPath } from "node:url";
import { useChildServer } from "./child-server.js";
import { runtime } from "./harness.js";

/** One request of a corpus. */
export interface Exchange {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** What is compared: status, the headers that matter, and the body. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Headers that legitimately differ between servers: the date, and the framing and connection
 * management each HTTP stack decides for itself (Keel's is hyper's). Content length is compared
 * through the body.
 */
const UNCOMPARED = new Set(["date", "connection", "keep-alive", "transfer-encoding", "content-length"]);

/** Sends `exchange` to `base` (redirects are not followed) and reads the answer. */
export async function answer(base: string, exchange: Exchange): Promise<Answer> {
  const res = await fetch(`${base}${exchange.path}`, {
    method: exchange.method ?? "GET",
    headers: exchange.headers,
    body: exchange.body,
    redirect: "manual",
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of res.headers) {
    if (UNCOMPARED.has(name)) continue;
    // "text/plain; charset=UTF-8" and "text/plain;charset=utf-8" say the same.
    headers[name] = name === "content-type" ? value.replace(/;\s*/g, ";").toLowerCase() : value;
  }
  const cookies = res.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies.join(" | ");
  return { status: res.status, headers, body: await res.text() };
}

/** The native server for the enclosing describe block (native-server.ts in a child process). */
export function useNativeServer(app: "hono" | "elysia"): { readonly base: string } {
  const script = fileURLToPath(new URL(`./native-server.${runtime === "bun" ? "ts" : "js"}`, import.meta.url));
  return useChildServer(script, [app], /ready (\d+)/);
}

/** A multipart/form-data body with a fixed boundary, so that both servers get the same bytes. */
export function multipart(fields: Record<string, string | { filename: string; type: string; content: string }>): { body: string; type: string } {
  const boundary = "keel-test-boundary";
  let body = "";
  for (const [name, value] of Object.entries(fields)) {
    body += `--${boundary}\r\n`;
    if (typeof value === "string") body += `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    else body += `Content-Disposition: form-data; name="${name}"; filename="${value.filename}"\r\nContent-Type: ${value.type}\r\n\r\n${value.content}\r\n`;
  }
  body += `--${boundary}--\r\n`;
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}
