// The workloads: what wrk sends and what a correct server answers. Two are those of the
// Encore.ts benchmark (github.com/encoredev/ts-benchmarks): GET /hello and POST /schema; the
// third floods /schema with a request that breaks one rule, to show what rejecting costs.

/** The Encore.ts benchmark's /schema body. */
export const SCHEMA_BODY = {
  someKey: "test",
  someOtherKey: 123,
  requiredKey: [123, 456, 789],
  nullableKey: null,
  multipleTypesKey: true,
  multipleRestrictedTypesKey: "test",
  enumKey: "John",
};

const SCHEMA_REQUEST = {
  method: "POST",
  path: "/schema?name=test&excitement=123",
  headers: { "content-type": "application/json", "x-foo": "test" },
};

/**
 * `id`, `title`, the request (`method`, `path`, `headers`, `body`) and `expect`: `{ status:
 * 200, json }` for an answer checked byte for byte as JSON, or `{ rejected: true }` for a
 * workload every answer of which must be a 4xx (Elysia says 422 where the others say 400).
 */
export const WORKLOADS = [
  {
    id: "hello",
    title: "GET /hello",
    method: "GET",
    path: "/hello",
    expect: { status: 200, json: { message: "Hello, World!" } },
  },
  {
    id: "schema",
    title: "POST /schema",
    ...SCHEMA_REQUEST,
    body: JSON.stringify(SCHEMA_BODY),
    expect: {
      status: 200,
      json: { body: SCHEMA_BODY, query: { name: "test", excitement: 123 }, header: { foo: "test" } },
    },
  },
  {
    id: "invalid",
    title: "POST /schema, invalid (requiredKey has 4 items)",
    ...SCHEMA_REQUEST,
    body: JSON.stringify({ ...SCHEMA_BODY, requiredKey: [123, 456, 789, 1000] }),
    expect: { rejected: true },
  },
];

export function workload(id) {
  const found = WORKLOADS.find((w) => w.id === id);
  if (!found) throw new Error(`unknown workload "${id}"`);
  return found;
}

/** What runWrk needs to send the workload's request (nothing for a plain GET). */
export function wrkRequest(w) {
  if (w.method === "GET" && !w.body && !w.headers) return undefined;
  return { method: w.method, headers: w.headers, body: w.body };
}

/**
 * Errors in a wrk report for this workload: socket errors, plus answers of the wrong class —
 * non-2xx for a workload that must succeed, 2xx or 3xx for one that must be rejected (wrk only
 * counts non-2xx/3xx answers, so a 5xx among rejections would pass as one; the check before
 * the load makes sure the server rejects with a 4xx).
 */
export function wrkErrors(w, report) {
  const wrongClass = w.expect.rejected ? report.requests - report.non2xx : report.non2xx;
  return report.socketErrors + Math.max(0, wrongClass);
}
