// The module, the example and the tests type-check (tsx runs them without
// checking types): tsc --noEmit with the project's tsconfig.json.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { test } from "./support/test.js";

test("tsc --noEmit passes", { timeout: 240_000 }, () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  // spawnSync blocks the event loop, so the test timeout cannot end it: its own timeout kills tsc
  const res = spawnSync(process.execPath, [tsc, "--noEmit", "-p", "."], { cwd, encoding: "utf8", timeout: 230_000 });
  assert.equal(res.error, undefined, `tsc did not finish: ${String(res.error)}`);
  assert.equal(res.status, 0, `tsc failed:\n${res.stdout}${res.stderr}`);
});
