// The top-level README.md embeds examples/usage.ts verbatim between
// <!-- drizzle-example:start --> and <!-- drizzle-example:end --> in a ```ts
// fence, so the documentation cannot drift from the code the tests run.  The
// block may import from "@leadstore/drizzle" where the file imports
// "../src/leadstore.js" (the tests run the file against the sources).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "./support/test.js";

const readmeUrl = new URL("../../../README.md", import.meta.url);
const exampleUrl = new URL("../examples/usage.ts", import.meta.url);

test("README.md embeds examples/usage.ts verbatim", async () => {
  const [readme, example] = await Promise.all([readFile(readmeUrl, "utf8"), readFile(exampleUrl, "utf8")]);
  const m = /<!-- drizzle-example:start -->\n```ts\n([\s\S]*?)```\n<!-- drizzle-example:end -->/.exec(readme);
  assert.ok(m, "README.md has a ```ts block between <!-- drizzle-example:start --> and <!-- drizzle-example:end -->");
  // the README may show the import from the package instead of the module's path
  const asPackage = example.replace(/ from "\.\.\/src\/leadstore\.js";/, ' from "@leadstore/drizzle";');
  assert.ok(m[1] === example || m[1] === asPackage, "the README's block is examples/usage.ts");
});
