#!/usr/bin/env node
// The `keel` command. `keel gen` writes the app's schema, manifest and accessors; with --check
// it only reports whether they are up to date (for CI) and exits 1 when they are not.

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_OUT_DIR, findAppEntry } from "./app-config.js";
import { KeelCodegenError } from "./errors.js";
import { check, generate } from "./generate.js";

const USAGE = `Usage: keel gen [--app <entry.ts>] [--out <dir>] [--check]

  --app <file>   the app's entry file (default: $KEEL_APP, package.json "keel.app",
                 or the first of src/index.ts, src/main.ts, …, server.ts that exists)
  --out <dir>    where the generated files go (default: ${DEFAULT_OUT_DIR})
  --check        write nothing; exit 1 if the generated files are missing or stale
`;

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      app: { type: "string" },
      out: { type: "string" },
      check: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help || positionals[0] !== "gen" || positionals.length > 1) {
    (values.help ? process.stdout : process.stderr).write(USAGE);
    return values.help ? 0 : 2;
  }

  const root = process.cwd();
  const entry = findAppEntry(root, values.app);
  if (!entry) {
    process.stderr.write(`keel gen: cannot find the app's entry file; pass --app <entry.ts>\n\n${USAGE}`);
    return 2;
  }
  const options = { entry, root, outDir: resolve(root, values.out ?? DEFAULT_OUT_DIR) };

  if (values.check) {
    const { outdated, changedInputs } = check(options);
    if (outdated.length === 0) {
      process.stdout.write(`keel gen --check: ${values.out ?? DEFAULT_OUT_DIR} is up to date\n`);
      return 0;
    }
    const changed = changedInputs.length > 0 ? `; sources changed since: ${changedInputs.join(", ")}` : "";
    process.stderr.write(
      `keel gen --check: ${values.out ?? DEFAULT_OUT_DIR} is stale (${outdated.join(", ")} ${outdated.length === 1 ? "is" : "are"} missing or different${changed}). Run \`keel gen\`.\n`,
    );
    return 1;
  }
  const written = generate(options);
  process.stdout.write(written.length === 0 ? "keel gen: up to date\n" : `keel gen: wrote ${written.join(", ")}\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (error instanceof KeelCodegenError) {
    process.stderr.write(`keel gen: ${error.message}\n`);
    process.exitCode = 1;
  } else if (error instanceof Error && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    process.stderr.write(`keel: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
