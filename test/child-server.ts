// A server in a child process of this runtime, for the enclosing describe block: started before
// its tests, killed after them. The child prints its port on stdout; `ready` finds it.

import { spawn, type ChildProcess } from "node:child_process";
import { after, before } from "./harness.js";

export function useChildServer(script: string, args: string[], ready: RegExp, env: Record<string, string> = {}): { readonly base: string } {
  let child: ChildProcess | undefined;
  let base = "";
  before(async () => {
    child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child!.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = ready.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child!.once("exit", (code) => reject(new Error(`${script} exited (code ${code}) before it was ready; it printed: ${out}`)));
    });
    base = `http://127.0.0.1:${port}`;
  });
  after(() => void child?.kill());
  return {
    get base() {
      return base;
    },
  };
}
