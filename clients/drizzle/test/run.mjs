// npm test: runs the suite (node --test, TAP) with a deadline for each test
// and one for the whole run, so that nothing can hang the test command.
//
//   node test/run.mjs [test files...]    (default: test/*.test.ts)
//
// LEADSTORE_TEST_TIMEOUT_MS        per test (default 120 s; tests may set less)
// LEADSTORE_TEST_SUITE_TIMEOUT_MS  whole run (default 900 s)
//
// On the suite deadline the runner and every test process are killed and a
// failing TAP line plus "# pass 0" / "# fail 1" is printed, so the counting
// sees a failure rather than nothing.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const testTimeout = Number(process.env.LEADSTORE_TEST_TIMEOUT_MS ?? 120_000);
const suiteTimeout = Number(process.env.LEADSTORE_TEST_SUITE_TIMEOUT_MS ?? 900_000);

const files = process.argv.slice(2);
if (files.length === 0)
  for (const f of readdirSync(new URL(".", import.meta.url)).sort())
    if (f.endsWith(".test.ts")) files.push(`test/${f}`);

const child = spawn(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=tap",
    `--test-timeout=${testTimeout}`,
    "--test-force-exit",
    ...files,
  ],
  { cwd: root, stdio: "inherit", detached: true },
);

const killAll = (signal) => {
  try {
    process.kill(-child.pid, signal); // the runner and the test files' processes
  } catch {
    /* already gone */
  }
};

const timer = setTimeout(() => {
  killAll("SIGKILL");
  process.stdout.write(
    `not ok 9999 - the client suite did not finish within ${suiteTimeout} ms (killed)\n# pass 0\n# fail 1\n`,
  );
  process.exit(1);
}, suiteTimeout);

for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    killAll("SIGKILL");
    process.exit(1);
  });

child.on("exit", (code, signal) => {
  clearTimeout(timer);
  process.exit(code ?? (signal ? 1 : 0));
});
