// `getConnInfo` for apps served by keel/hono, on either runtime (Hono's own helpers work too,
// see env.ts).

import type { Context } from "hono";
import type { ConnInfo } from "hono/conninfo";
import { requestIP } from "../core/conninfo.js";

/** The client's address and port, from Hono's context. */
export function getConnInfo(c: Context): ConnInfo {
  const info = requestIP(c.req.raw);
  if (info === null) return { remote: {} };
  return { remote: { address: info.address, addressType: info.family, port: info.port } };
}
