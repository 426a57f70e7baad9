// node:test's test, describe and hooks with a deadline on each: a test that
// hangs (a promise that never settles, a lock that is never released) fails
// by name after LEADSTORE_TEST_TIMEOUT_MS (default 60 s) unless it sets its
// own timeout, instead of holding up its file until the runner kills it.
// (Every session also has lock_timeout and statement_timeout: support/db.ts.)
import * as nt from "node:test";

export const TEST_TIMEOUT_MS = Number(process.env.LEADSTORE_TEST_TIMEOUT_MS ?? 60_000);
export const HOOK_TIMEOUT_MS = TEST_TIMEOUT_MS;

type TestFn = nt.TestFn;
type SuiteFn = nt.SuiteFn;
type HookFn = Parameters<typeof nt.before>[0];

function split<F>(a: nt.TestOptions | F | undefined, b: F | undefined): [nt.TestOptions, F | undefined] {
  return typeof a === "function" ? [{}, a as F] : [(a as nt.TestOptions | undefined) ?? {}, b];
}

export function test(name: string, a?: nt.TestOptions | TestFn, b?: TestFn): Promise<void> {
  const [options, fn] = split(a, b);
  return nt.test(name, { timeout: TEST_TIMEOUT_MS, ...options }, fn);
}

/** A suite: its tests get the deadline each (the suite itself none, beyond the runner's). */
export function describe(name: string, a?: nt.TestOptions | SuiteFn, b?: SuiteFn): Promise<void> {
  const [options, fn] = split(a, b);
  return nt.describe(name, options, fn);
}

export function before(fn: HookFn, options?: nt.HookOptions): void {
  nt.before(fn, { timeout: HOOK_TIMEOUT_MS, ...options });
}

export function after(fn: HookFn, options?: nt.HookOptions): void {
  nt.after(fn, { timeout: HOOK_TIMEOUT_MS, ...options });
}
