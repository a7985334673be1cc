// What a Hono handler finds in `c.env` when Keel serves it: the two shapes Hono's connection-info
// helpers read, so that an app keeps using the helper of the server it came from.
// - hono/bun's getConnInfo calls `c.env.requestIP(c.req.raw)` (c.env is Bun's server there);
// - @hono/node-server's getConnInfo reads `c.env.incoming.socket.remoteAddress`, `remotePort`
//   and `remoteFamily` (c.env.incoming is Node's IncomingMessage there).
// Nothing else of Bun's server or of Node's request is offered.

import { remoteAddress, requestIP, type SocketAddress } from "../core/conninfo.js";
import type { KeelRequest } from "../core/request.js";

/** The socket fields of Node's IncomingMessage that @hono/node-server's getConnInfo reads. */
export interface IncomingSocketInfo {
  readonly socket: { readonly remoteAddress: string; readonly remotePort: number; readonly remoteFamily: "IPv4" | "IPv6" };
}

export class KeelHonoEnv {
  readonly #req: KeelRequest;

  constructor(req: KeelRequest) {
    this.#req = req;
  }

  /** Bun's `server.requestIP(request)`: the client's address, or null for a request Keel did not receive. */
  requestIP(request: Request): SocketAddress | null {
    return requestIP(request);
  }

  /** The client's socket address in the shape of Node's `IncomingMessage` (only `socket`). */
  get incoming(): IncomingSocketInfo {
    const { address, family, port } = remoteAddress(this.#req);
    return { socket: { remoteAddress: address, remotePort: port, remoteFamily: family } };
  }
}
