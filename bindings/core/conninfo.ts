// The client's address, in the shape Bun's `server.requestIP(request)` returns it.

import { keelRequestOf } from "./fetch-request.js";
import type { KeelRequest } from "./request.js";

export interface SocketAddress {
  address: string;
  family: "IPv4" | "IPv6";
  port: number;
}

/** The address of the client that sent `req` (Rust reports it as "ip:port", IPv6 in brackets). */
export function remoteAddress(req: KeelRequest): SocketAddress {
  const raw = req.remoteAddr;
  const colon = raw.lastIndexOf(":");
  const port = Number(raw.slice(colon + 1));
  let address = raw.slice(0, colon);
  if (address.startsWith("[")) address = address.slice(1, -1);
  return { address, family: address.includes(":") ? "IPv6" : "IPv4", port };
}

/**
 * `server.requestIP(request)` for a request view made by Keel's fetch bridge; null for any other
 * Request (as Bun answers for a request its server did not receive).
 */
export function requestIP(request: Request): SocketAddress | null {
  const req = keelRequestOf(request);
  return req === undefined ? null : remoteAddress(req);
}
