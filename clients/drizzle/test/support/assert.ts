// Assertions shared by the test files: the error a call rejects with, its
// exact class and SQLSTATE, and that no parameter leaked into it.
import assert from "node:assert/strict";

import { LeadstoreError } from "../../src/leadstore.js";
import { errorTexts } from "./db.js";

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(p: Promise<unknown> | (() => Promise<unknown>)): Promise<unknown> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return e;
  }
  assert.fail("expected the call to fail");
}

/** Asserts err is exactly of class Cls (not a subclass) with the given SQLSTATE. */
export function assertError<T extends LeadstoreError>(
  err: unknown,
  Cls: abstract new (...args: never[]) => T,
  code: string,
  message?: RegExp,
): T {
  assert.ok(err instanceof Cls, `expected ${Cls.name}, got ${String(err)}`);
  assert.ok(err instanceof LeadstoreError);
  assert.ok(err instanceof Error);
  assert.equal(Object.getPrototypeOf(err).constructor, Cls, `exactly ${Cls.name}, got ${err.constructor.name}`);
  assert.equal(err.name, Cls.name);
  assert.equal(err.code, code);
  if (message) assert.match(err.message, message);
  assert.ok(!("cause" in err), "no cause: it would hold Drizzle's error with the parameters");
  assert.ok(!("params" in err) && !("query" in err));
  return err;
}

/** Asserts no textual view of err contains any of the strings. */
export async function assertNoLeak(err: unknown, ...secrets: string[]): Promise<void> {
  for (const text of await errorTexts(err)) {
    assert.ok(!text.includes("Failed query"), `Drizzle's message leaked: ${text.slice(0, 200)}`);
    assert.ok(!text.includes("params:"), `parameters leaked: ${text.slice(0, 200)}`);
    for (const s of secrets) assert.ok(!text.includes(s), `"${s}" leaked into: ${text.slice(0, 300)}`);
  }
}

