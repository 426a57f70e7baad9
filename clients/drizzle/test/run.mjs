// npm test: runs the suite (node --test, TAP) so that nothing can hang the
// test command, and so that every failure is counted.
//
//   node test/run.mjs [test files...]    (default: test/*.test.ts)
//
// Deadlines (milliseconds):
//   LEADSTORE_TEST_TIMEOUT_MS        each test and hook (support/test.ts; default 60 s,
//                                    longer where a test sets its own)
//   LEADSTORE_TEST_FILE_TIMEOUT_MS   each test file's process (default 300 s)
//   LEADSTORE_TEST_SUITE_TIMEOUT_MS  the whole run (default 420 s): then every test
//                                    process is killed and a failing TAP line printed
//
// LEADSTORE_TEST_CONCURRENCY       test files run at once (default 2)
//
// Sessions also carry lock_timeout and statement_timeout (support/db.ts), so a
// lock that is never released fails the waiting test by name.
//
// The closing summary ("# pass N" / "# fail N", which the test command counts)
// is node's, except that "# fail" also counts cancelled tests (node reports a
// timed-out test as cancelled, not failed) and is at least the number of
// failing top-level entries (a test file that died or was killed).
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const fileTimeout = Number(process.env.LEADSTORE_TEST_FILE_TIMEOUT_MS ?? 300_000);
const suiteTimeout = Number(process.env.LEADSTORE_TEST_SUITE_TIMEOUT_MS ?? 420_000);
// test files at once: the files are independent (own fixtures), and most wait on the server
const concurrency = Number(process.env.LEADSTORE_TEST_CONCURRENCY ?? 2);

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
    `--test-timeout=${fileTimeout}`,
    "--test-force-exit",
    `--test-concurrency=${concurrency}`,
    ...files,
  ],
  { cwd: root, stdio: ["ignore", "pipe", "inherit"], detached: true },
);

const summary = new Map(); // "pass" -> 12, ... (node's closing summary, held back)
const summaryOrder = [];
let topLevelNotOk = 0;

createInterface({ input: child.stdout }).on("line", (line) => {
  const m = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\S+)$/.exec(line);
  if (m) {
    if (!summary.has(m[1])) summaryOrder.push(m[1]);
    summary.set(m[1], m[2]);
    return;
  }
  if (line.startsWith("not ok ")) topLevelNotOk++;
  process.stdout.write(`${line}\n`);
});

function printSummary(extraFailures) {
  const n = (k) => Number(summary.get(k) ?? 0);
  const fail = Math.max(n("fail") + n("cancelled") + extraFailures, topLevelNotOk + extraFailures);
  if (!summary.has("pass")) summaryOrder.push("pass");
  if (!summary.has("fail")) summaryOrder.push("fail");
  summary.set("pass", String(n("pass")));
  summary.set("fail", String(fail));
  for (const k of summaryOrder) process.stdout.write(`# ${k} ${summary.get(k)}\n`);
  return fail;
}

const killAll = (signal) => {
  try {
    process.kill(-child.pid, signal); // the runner and the test files' processes
  } catch {
    /* already gone */
  }
};

const timer = setTimeout(() => {
  killAll("SIGKILL");
  process.stdout.write(`not ok 9999 - the client suite did not finish within ${suiteTimeout} ms (killed)\n`);
  printSummary(1);
  process.exit(1);
}, suiteTimeout);

for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    killAll("SIGKILL");
    process.exit(1);
  });

child.on("close", (code, signal) => {
  clearTimeout(timer);
  const noSummary = !summary.has("pass");
  const fail = printSummary(noSummary ? 1 : 0);
  process.exit(fail > 0 || noSummary ? 1 : (code ?? (signal ? 1 : 0)));
});
