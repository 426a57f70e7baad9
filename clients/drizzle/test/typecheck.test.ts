// The module, the example and the tests type-check (tsx runs them without
// checking types): tsc --noEmit with the project's tsconfig.json.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

test("tsc --noEmit passes", { timeout: 120_000 }, () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  const res = spawnSync(process.execPath, [tsc, "--noEmit", "-p", "."], { cwd, encoding: "utf8" });
  assert.equal(res.status, 0, `tsc failed:\n${res.stdout}${res.stderr}`);
});
