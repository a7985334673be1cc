// The front half of `keel gen`: from the app's entry file to the model (docs/TYPED-APIS.md).

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { emitFbs } from "./emit/fbs.js";
import { withFbsNames } from "./fbs-names.js";
import { MANIFEST_VERSION, TypeTable, type Endpoint, type Manifest } from "./model.js";
import { findEndpoints } from "./parse/find-endpoints.js";
import { keelModuleDirs, ModuleGraph } from "./parse/module-graph.js";
import { ModelBuilder } from "./resolve/build-model.js";
import { EndpointBuilder } from "./resolve/endpoints.js";
import { TypeResolver } from "./resolve/resolve-type.js";
import { Symbols } from "./resolve/symbols.js";

export interface AnalyzeOptions {
  /** The app's entry file; endpoints are found in it and in what it imports. */
  readonly entry: string;
  /** Paths in messages and in the manifest are relative to this (default: the entry's folder). */
  readonly root?: string;
  /** Folders that count as Keel's own module (default: this package's bindings/). */
  readonly keelDirs?: readonly string[];
}

export interface Analysis {
  readonly manifest: Manifest;
  /** Every source file read, by absolute path, with its text. */
  readonly inputs: ReadonlyMap<string, string>;
}

export function analyze(options: AnalyzeOptions): Analysis {
  const entry = resolve(options.entry);
  const root = resolve(options.root ?? dirname(entry));
  const keelDirs = options.keelDirs ?? keelModuleDirs(dirname(fileURLToPath(import.meta.url)));
  const graph = new ModuleGraph(root, keelDirs);
  const symbols = new Symbols(graph);
  const resolver = new TypeResolver(symbols);
  const table = new TypeTable();
  const endpointBuilder = new EndpointBuilder(resolver, symbols, new ModelBuilder(resolver, table));

  const endpoints: Endpoint[] = [];
  for (const declaration of findEndpoints(graph, entry)) {
    const clash = endpoints.find(
      (other) => other.name === declaration.name || (other.method === declaration.method && other.path === declaration.path),
    );
    if (clash) {
      const what = clash.name === declaration.name ? `an endpoint named ${clash.name}` : `${clash.method} ${clash.path}`;
      throw declaration.module.file.error(declaration.span, `${what} is already declared at ${clash.file}:${clash.line}`);
    }
    endpoints.push(endpointBuilder.build(declaration));
  }
  const types = withFbsNames(table);
  const manifest: Manifest = { version: MANIFEST_VERSION, types, endpoints, app_fbs: emitFbs(types) };
  return { manifest, inputs: graph.inputs() };
}
