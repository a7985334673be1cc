// One behaviour suite, two runners: `bun test` runs the TypeScript sources with bun:test, and
// `node --test` runs their compiled copies (dist/test) with node:test. Tests import describe,
// test, before and after from here and assert with node:assert/strict, which both runtimes have.

type Body = () => void | Promise<unknown>;

interface Runner {
  describe(name: string, body: () => void): void;
  test(name: string, body: Body, timeoutMs: number): void;
  before(body: Body): void;
  after(body: Body): void;
}

export const runtime: "bun" | "node" = "Bun" in globalThis ? "bun" : "node";

// The specifier is a variable so that the Node build does not try to resolve bun:test.
const bunTest = "bun:test";
const runner: Runner =
  runtime === "bun"
    ? await import(bunTest).then((t) => ({
        describe: t.describe,
        test: (name: string, body: Body, timeoutMs: number) => t.test(name, body, timeoutMs),
        before: t.beforeAll,
        after: t.afterAll,
      }))
    : await import("node:test").then((t) => ({
        describe: (name: string, body: () => void) => void t.describe(name, body),
        test: (name: string, body: Body, timeoutMs: number) => void t.test(name, { timeout: timeoutMs }, async () => void (await body())),
        before: (body: Body) => t.before(body),
        after: (body: Body) => t.after(body),
      }));

export const describe = (name: string, body: () => void): void => runner.describe(name, body);
/** A test; `timeoutMs` bounds it (default 20 s) so that a hang fails instead of stalling. */
export const test = (name: string, body: Body, timeoutMs = 20_000): void => runner.test(name, body, timeoutMs);
export const before = (body: Body): void => runner.before(body);
export const after = (body: Body): void => runner.after(body);
