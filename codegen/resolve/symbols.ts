// Name lookup across modules: from a name written in one file to the declaration it means,
// through imports, `export { X as Y } from`, `export * from` and namespace imports.

import type { Span } from "@swc/core";
import type { ModuleGraph, ModuleInfo, ModuleRef, TypeDeclaration } from "../parse/module-graph.js";

export type TypeSymbol =
  | { readonly kind: "declaration"; readonly module: ModuleInfo; readonly name: string; readonly declaration: TypeDeclaration }
  /** An export of Keel's own module, known by name. */
  | { readonly kind: "keel"; readonly name: string }
  /** A name declared nowhere in the app: a built-in such as Date, Array or Partial. */
  | { readonly kind: "global"; readonly name: string }
  | { readonly kind: "package"; readonly specifier: string; readonly name: string };

export class Symbols {
  constructor(private readonly graph: ModuleGraph) {}

  /** What `path` (`User`, or `models.User` through a namespace import) means in `module`. */
  lookup(module: ModuleInfo, path: readonly string[], span: Span): TypeSymbol {
    const [head, ...rest] = path;
    if (head === undefined) throw module.file.error(span, "empty type name");
    const local = module.types.get(head);
    if (local && rest.length === 0) return { kind: "declaration", module, name: head, declaration: local };
    const binding = module.imports.get(head);
    if (!binding) {
      if (rest.length > 0) throw module.file.error(span, `cannot find the namespace ${head}`);
      return { kind: "global", name: head };
    }
    if (binding.imported === "*") {
      if (rest.length !== 1) throw module.file.error(span, `write a type of ${head} as ${head}.Name`);
      return this.exported(binding.from, rest[0]!, module, span);
    }
    if (rest.length > 0) throw module.file.error(span, `${head} is not a namespace`);
    return this.exported(binding.from, binding.imported, module, span);
  }

  /** The export `name` of the module `ref` (imported from `importer`, for messages). */
  private exported(ref: ModuleRef, name: string, importer: ModuleInfo, span: Span): TypeSymbol {
    const found = this.findExport(ref, name, new Set());
    if (found) return found;
    const where = ref.kind === "file" ? this.graph.module(ref.path).file.displayPath : "it";
    throw importer.file.error(span, `${name} is not exported by ${where}`);
  }

  private findExport(ref: ModuleRef, name: string, seen: Set<string>): TypeSymbol | undefined {
    if (ref.kind === "keel") return { kind: "keel", name };
    if (ref.kind === "package") return { kind: "package", specifier: ref.specifier, name };
    if (seen.has(ref.path)) return undefined; // an `export *` cycle
    seen.add(ref.path);
    const module = this.graph.module(ref.path);
    const binding = module.exports.get(name);
    if (binding?.kind === "local") {
      const declaration = module.types.get(binding.local);
      if (declaration) return { kind: "declaration", module, name: binding.local, declaration };
      const imported = module.imports.get(binding.local);
      if (imported && imported.imported !== "*") return this.findExport(imported.from, imported.imported, seen);
      return undefined; // a value, not a type
    }
    if (binding?.kind === "reexport") return this.findExport(binding.from, binding.imported, seen);
    for (const star of module.starExports) {
      const found = this.findExport(star, name, seen);
      if (found) return found;
    }
    return undefined;
  }
}
