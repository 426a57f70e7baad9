// The top-level README.md embeds examples/usage.ts verbatim between
// <!-- drizzle-example:start --> and <!-- drizzle-example:end --> in a ```ts
// fence, so the documentation cannot drift from the code the tests run.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "./support/test.js";

const readmeUrl = new URL("../../../README.md", import.meta.url);
const exampleUrl = new URL("../examples/usage.ts", import.meta.url);

test("README.md embeds examples/usage.ts verbatim", async () => {
  const [readme, example] = await Promise.all([readFile(readmeUrl, "utf8"), readFile(exampleUrl, "utf8")]);
  const m = /<!-- drizzle-example:start -->\n```ts\n([\s\S]*?)```\n<!-- drizzle-example:end -->/.exec(readme);
  assert.ok(m, "README.md has a ```ts block between <!-- drizzle-example:start --> and <!-- drizzle-example:end -->");
  assert.equal(m[1], example);
});
