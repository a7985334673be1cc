// The second argument of a typed handler: what the typed request leaves out (the HTTP request
// itself, its cancellation signal) and what the returned value cannot say (the response's
// status and headers).
//
//   export const createPost = api({ method: "POST", path: "/posts" }, async (req: NewPost, ctx): Promise<Post> => {
//     const post = await save(req, { signal: ctx.signal });
//     ctx.status = 201;
//     ctx.setHeader("location", `/posts/${post.id}`);
//     return post;
//   });

import type { JsonWriter } from "./json-out.js";
import type { KeelRequest } from "./request.js";

export class ApiContext {
  /**
   * The HTTP request: method, url, headers, params, remoteAddr. A typed endpoint's body was
   * decoded into the handler's first argument and is not sent again: here it reads as empty.
   */
  readonly request: KeelRequest;
  /**
   * The status sent with the handler's return value: 200 unless set. An APIError the handler
   * throws is sent with its own status.
   */
  status = 200;
  /**
   * @internal Response headers as [name, value] pairs, in the order set; undefined until the
   * first (most handlers set none). The response writer checks names and values.
   */
  responseHeaders: Array<[string, string]> | undefined = undefined;
  /** @internal Writes the handler's result from its declared type; null: JSON.stringify does. */
  jsonWriter: JsonWriter | null = null;

  /** @internal */
  constructor(request: KeelRequest) {
    this.request = request;
  }

  /** Aborted when the client goes away before the response is sent. */
  get signal(): AbortSignal {
    return this.request.signal;
  }

  /**
   * Sets a response header, replacing what was set before under the same name (names are
   * case-insensitive). Sent with the return value, and with an APIError the handler throws.
   */
  setHeader(name: string, value: string): this {
    const headers = this.responseHeaders;
    if (headers !== undefined) {
      const key = name.toLowerCase();
      this.responseHeaders = headers.filter(([existing]) => existing.toLowerCase() !== key);
    }
    return this.appendHeader(name, value);
  }

  /** Adds a response header, keeping earlier ones of the same name: one per `set-cookie`. */
  appendHeader(name: string, value: string): this {
    (this.responseHeaders ??= []).push([name, value]);
    return this;
  }
}
