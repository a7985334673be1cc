// Regenerates the app's typed-API files before a Bun app runs. Preload it from bunfig.toml:
//
//   preload = ["keel/bun-plugin"]
//
// Under `bun --watch` every restart runs it again, so the files follow the sources.

import { plugin } from "bun";
import { regenerateBeforeStart } from "./dev-hook.js";

plugin({
  name: "keel gen",
  setup() {
    regenerateBeforeStart(Bun.main);
  },
});
