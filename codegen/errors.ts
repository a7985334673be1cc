// Every problem the generator reports is a KeelCodegenError whose message starts with the place
// in the app's source it is about, `file:line:col: `, so editors and terminals can jump to it.

/** A place in a source file: a path relative to the app root, 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  /** 1-based, in UTF-16 code units from the start of the line (what editors count). */
  readonly column: number;
}

export function formatLocation(at: SourceLocation): string {
  return `${at.file}:${at.line}:${at.column}`;
}

export class KeelCodegenError extends Error {
  override readonly name = "KeelCodegenError";

  /** `detail` says what is wrong and, where there is one, what to write instead. */
  constructor(
    readonly location: SourceLocation,
    readonly detail: string,
  ) {
    super(`${formatLocation(location)}: ${detail}`);
  }
}
