// Regenerates the app's typed-API files before a Node app runs:
//
//   node --import keel/node-hook server.js
//
// The entry to analyze comes from KEEL_APP or package.json "keel.app" (the running file is
// compiled JavaScript, which has no types left to read).

import { regenerateBeforeStart } from "./dev-hook.js";

regenerateBeforeStart();
