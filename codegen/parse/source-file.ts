// One parsed TypeScript file and the mapping from SWC's byte positions to line:column.
//
// SWC spans are UTF-8 byte positions in a source map that may be shared by every parse in the
// process (older @swc/core versions keep adding files to one map, so a second file's spans do
// not start at 1). The parser never tells us where this file starts in that map, so we append a
// sentinel `;` at a known byte offset and read the base back from the empty statement it makes.

import swc from "@swc/core";
import type { Module, ModuleItem, Span } from "@swc/core";
import { KeelCodegenError, type SourceLocation } from "../errors.js";

const SENTINEL = "\n;";

export class SourceFile {
  /** Statements of the file, without the sentinel. */
  readonly body: readonly ModuleItem[];
  private readonly bytes: Buffer;
  /** Byte offsets at which each line starts. */
  private readonly lineStarts: number[];

  private constructor(
    /** Absolute path. */
    readonly path: string,
    /** Path shown in messages (relative to the app root, `/`-separated). */
    readonly displayPath: string,
    readonly text: string,
    module: Module,
    /** SWC position of this file's byte 0. */
    private readonly base: number,
  ) {
    this.body = module.body.slice(0, -1);
    this.bytes = Buffer.from(text, "utf8");
    this.lineStarts = [0];
    for (let i = 0; i < this.bytes.length; i++) if (this.bytes[i] === 0x0a) this.lineStarts.push(i + 1);
  }

  static parse(path: string, displayPath: string, text: string): SourceFile {
    let module: Module;
    try {
      module = swc.parseSync(text + SENTINEL, { syntax: "typescript", tsx: path.endsWith(".tsx"), comments: false });
    } catch (error) {
      throw syntaxError(displayPath, error);
    }
    const sentinel = module.body.at(-1);
    if (sentinel?.type !== "EmptyStatement") {
      // The file ends inside a construct that swallowed the sentinel (which SWC would have
      // reported as a syntax error); nothing sensible can be read from it.
      throw new KeelCodegenError({ file: displayPath, line: 1, column: 1 }, "cannot parse this file");
    }
    const sentinelByte = Buffer.byteLength(text, "utf8") + 1;
    return new SourceFile(path, displayPath, text, module, sentinel.span.start - sentinelByte);
  }

  /** Where `span` starts. */
  locate(span: Span): SourceLocation {
    const byte = span.start - this.base;
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid]! <= byte) low = mid;
      else high = mid - 1;
    }
    const lineStart = this.lineStarts[low]!;
    const column = this.bytes.toString("utf8", lineStart, byte).length + 1;
    return { file: this.displayPath, line: low + 1, column };
  }

  /** The source text that `span` covers. */
  slice(span: Span): string {
    return this.bytes.toString("utf8", span.start - this.base, span.end - this.base);
  }

  error(span: Span, detail: string): KeelCodegenError {
    return new KeelCodegenError(this.locate(span), detail);
  }
}

/**
 * SWC reports syntax errors as text: a message line, then a code frame whose `^` marks the
 * column under a ` N | source` line. We lift the message and the position out of it.
 */
function syntaxError(displayPath: string, error: unknown): KeelCodegenError {
  const text = String(error instanceof Error ? error.message : error).replace(/^Error:\s*/, "");
  const lines = text.split("\n");
  const message = (lines[0] ?? "").replace(/^\s*[x×]\s*/, "").trim() || "syntax error";
  let line = 1;
  let column = 1;
  const caret = lines.findIndex((l) => /^\s*:\s*\^/.test(l));
  const numbered = caret > 0 ? /^(\s*(\d+) \| )/.exec(lines[caret - 1]!) : null;
  if (numbered) {
    line = Number(numbered[2]);
    column = lines[caret]!.indexOf("^") - numbered[1]!.length + 1;
  }
  return new KeelCodegenError({ file: displayPath, line, column: Math.max(column, 1) }, `syntax error: ${message}`);
}
