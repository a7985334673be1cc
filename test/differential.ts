// Differential testing: one app, served by Keel in this process and by the framework's native
// server in a child process (native-server.ts), must answer every request of a corpus alike.

import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, runtime } from "./harness.js";

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

/**
 * The native server for the enclosing describe block: a child process started before its tests
 * and killed after them. Read `base` inside tests.
 */
export function useNativeServer(app: "hono" | "elysia"): { readonly base: string } {
  let child: ChildProcess | undefined;
  let base = "";
  before(async () => {
    const script = fileURLToPath(new URL(`./native-server.${runtime === "bun" ? "ts" : "js"}`, import.meta.url));
    child = spawn(process.execPath, [script, app], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child!.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /ready (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child!.once("exit", (code) => reject(new Error(`the native ${app} server exited (code ${code}) before it was ready`)));
    });
    base = `http://127.0.0.1:${port}`;
  });
  after(() => void child?.kill());
  return {
    get base() {
      return base;
    },
  };
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
