// The app's modules as the generator sees them: for each file, the types it declares, the names
// it imports and exports, and which other modules it loads at run time. Files are read and
// parsed on first use, so only what the endpoints actually reach is ever parsed.

import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { ModuleItem, Span, TsInterfaceDeclaration, TsTypeAliasDeclaration } from "@swc/core";
import { SourceFile } from "./source-file.js";

/**
 * Where an import specifier leads. Keel's own module ("keel", or a relative path into Keel's
 * bindings) is never parsed: the generator knows its exports by name.
 */
export type ModuleRef =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "keel" }
  | { readonly kind: "package"; readonly specifier: string };

export type TypeDeclaration =
  /** All declarations of one interface name in one file (TypeScript merges them, in order). */
  | { readonly kind: "interface"; readonly nodes: TsInterfaceDeclaration[] }
  | { readonly kind: "alias"; readonly node: TsTypeAliasDeclaration }
  /** A class or enum: a type the generator cannot describe, kept to explain why. */
  | { readonly kind: "unsupported"; readonly what: string; readonly span: Span };

/** `imported` is the name in the module it comes from, or "*" for `import * as local`. */
export interface ImportBinding {
  readonly from: ModuleRef;
  readonly imported: string;
}

export type ExportBinding =
  | { readonly kind: "local"; readonly local: string }
  | { readonly kind: "reexport"; readonly from: ModuleRef; readonly imported: string };

export interface ModuleInfo {
  readonly file: SourceFile;
  readonly types: ReadonlyMap<string, TypeDeclaration>;
  readonly imports: ReadonlyMap<string, ImportBinding>;
  readonly exports: ReadonlyMap<string, ExportBinding>;
  /** `export * from "…"`, in order. */
  readonly starExports: readonly ModuleRef[];
  /** Modules this one loads when it runs (value imports and re-exports), in order. */
  readonly runtimeImports: readonly ModuleRef[];
}

/** Source extensions tried, in order, for a specifier written without one or with a .js one. */
const EXTENSIONS: Record<string, string[]> = {
  "": [".ts", ".tsx", ".d.ts", "/index.ts", "/index.tsx", "/index.d.ts"],
  ".js": [".ts", ".tsx", ".d.ts"],
  ".jsx": [".tsx"],
  ".mjs": [".mts", ".d.mts"],
  ".cjs": [".cts", ".d.cts"],
};

export class ModuleGraph {
  private readonly modules = new Map<string, ModuleInfo>();

  /**
   * @param root the app's root directory: paths in messages are relative to it.
   * @param keelDirs directories whose files are Keel's own module when an app imports them by
   *   a relative path (the repository's own examples and tests do).
   */
  constructor(
    readonly root: string,
    private readonly keelDirs: readonly string[],
  ) {}

  /** The parsed module at an absolute path; read once. */
  module(path: string): ModuleInfo {
    let info = this.modules.get(path);
    if (!info) {
      const displayPath = relative(this.root, path).split(sep).join("/");
      info = collect(SourceFile.parse(path, displayPath, readFileSync(path, "utf8")), (spec) =>
        this.resolveSpecifier(path, spec),
      );
      this.modules.set(path, info);
    }
    return info;
  }

  /** Every file read so far, with its text: the generator's inputs. */
  inputs(): Map<string, string> {
    return new Map([...this.modules].map(([path, info]) => [path, info.file.text]));
  }

  /** Where `specifier`, imported from `fromPath`, leads; undefined if no source file is there. */
  private resolveSpecifier(fromPath: string, specifier: string): ModuleRef | undefined {
    if (specifier === "keel" || specifier.startsWith("keel/")) return { kind: "keel" };
    if (!specifier.startsWith(".") && !specifier.startsWith("/")) return { kind: "package", specifier };
    const target = resolve(dirname(fromPath), specifier);
    if (this.keelDirs.some((dir) => target === dir || target.startsWith(dir + sep))) return { kind: "keel" };
    const path = findSourceFile(target);
    return path === undefined ? undefined : { kind: "file", path };
  }
}

function findSourceFile(target: string): string | undefined {
  const isFile = (path: string) => existsSync(path) && statSync(path).isFile();
  if (/\.(m|c)?tsx?$/.test(target)) return isFile(target) ? target : undefined;
  const extension = /\.(js|jsx|mjs|cjs)$/.exec(target)?.[0] ?? "";
  const stem = target.slice(0, target.length - extension.length);
  for (const candidate of EXTENSIONS[extension] ?? []) if (isFile(stem + candidate)) return stem + candidate;
  return undefined;
}

type Resolve = (specifier: string) => ModuleRef | undefined;

/** Reads the top-level statements of a file into its ModuleInfo. */
function collect(file: SourceFile, resolve: Resolve): ModuleInfo {
  const resolveSpecifier = (specifier: string, span: Span): ModuleRef => {
    const ref = resolve(specifier);
    if (!ref) throw file.error(span, `cannot find a TypeScript file for "${specifier}"`);
    return ref;
  };
  const types = new Map<string, TypeDeclaration>();
  const imports = new Map<string, ImportBinding>();
  const exports = new Map<string, ExportBinding>();
  const starExports: ModuleRef[] = [];
  const runtimeImports: ModuleRef[] = [];

  const declare = (item: ModuleItem, exported: boolean) => {
    let name: string | undefined;
    if (item.type === "TsInterfaceDeclaration") {
      name = item.id.value;
      const existing = types.get(name);
      if (existing?.kind === "interface") existing.nodes.push(item);
      else types.set(name, { kind: "interface", nodes: [item] });
    } else if (item.type === "TsTypeAliasDeclaration") {
      name = item.id.value;
      types.set(name, { kind: "alias", node: item });
    } else if (item.type === "TsEnumDeclaration") {
      name = item.id.value;
      types.set(name, { kind: "unsupported", what: "a TypeScript enum", span: item.span });
    } else if (item.type === "ClassDeclaration") {
      name = item.identifier.value;
      types.set(name, { kind: "unsupported", what: "a class", span: item.span });
    }
    if (exported && name !== undefined) exports.set(name, { kind: "local", local: name });
  };

  for (const item of file.body) {
    switch (item.type) {
      case "ImportDeclaration": {
        const from = resolveSpecifier(item.source.value, item.source.span);
        let loadsAtRuntime = !item.typeOnly && item.specifiers.length === 0;
        for (const spec of item.specifiers) {
          if (spec.type === "ImportSpecifier") {
            imports.set(spec.local.value, { from, imported: spec.imported?.value ?? spec.local.value });
            if (!item.typeOnly && !spec.isTypeOnly) loadsAtRuntime = true;
          } else {
            imports.set(spec.local.value, { from, imported: spec.type === "ImportNamespaceSpecifier" ? "*" : "default" });
            if (!item.typeOnly) loadsAtRuntime = true;
          }
        }
        if (loadsAtRuntime) runtimeImports.push(from);
        break;
      }
      case "ExportAllDeclaration": {
        const from = resolveSpecifier(item.source.value, item.source.span);
        starExports.push(from);
        // `export type * from` (TypeScript 5) loads nothing; SWC's types omit the flag.
        if (!(item as { typeOnly?: boolean }).typeOnly) runtimeImports.push(from);
        break;
      }
      case "ExportNamedDeclaration": {
        const from = item.source ? resolveSpecifier(item.source.value, item.source.span) : undefined;
        for (const spec of item.specifiers) {
          if (spec.type === "ExportSpecifier") {
            const orig = spec.orig.value;
            const exported = spec.exported?.value ?? orig;
            exports.set(exported, from ? { kind: "reexport", from, imported: orig } : { kind: "local", local: orig });
          } else if (spec.type === "ExportNamespaceSpecifier" && from) {
            exports.set(spec.name.value, { kind: "reexport", from, imported: "*" });
          }
        }
        if (from && !item.typeOnly) runtimeImports.push(from);
        break;
      }
      case "ExportDeclaration":
        declare(item.declaration, true);
        break;
      default:
        declare(item, false);
    }
  }
  return { file, types, imports, exports, starExports, runtimeImports };
}

/**
 * The directories that hold Keel's own module: `bindings/` (and its compiled twin) of the
 * package this generator belongs to, found by walking up to its package.json.
 */
export function keelModuleDirs(fromDir: string): string[] {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "keel") {
          return [join(dir, "bindings"), join(dir, "dist", "bindings")];
        }
      } catch {
        // Not a package.json we can read: keep walking up.
      }
    }
    if (dirname(dir) === dir) return [];
  }
}
