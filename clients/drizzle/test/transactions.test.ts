// Calls inside Drizzle transactions: they commit and roll back with the
// caller's transaction, and a failed call inside a nested transaction
// (savepoint) leaves the outer transaction's work intact.
import assert from "node:assert/strict";
import { after, before, describe, test } from "./support/test.js";

import { TransactionRollbackError } from "drizzle-orm";

import {
  beginDeepScan,
  selectCms,
  storeSectionResult,
  TechnologyNotFoundError,
  NotACmsOfBusinessUnitError,
} from "../src/leadstore.js";
import {
  connect,
  countChunks,
  createFixture,
  dropFixture,
  makeEmbedding,
  readLead,
  readSection,
  uid,
  type Db,
  type Fixture,
} from "./support/db.js";

let pool: ReturnType<typeof connect>["pool"];
let db: Db;

before(() => {
  ({ pool, db } = connect());
});

after(async () => {
  await pool.end();
});

async function fixture(t: { after: (fn: () => Promise<void>) => void }): Promise<Fixture> {
  const f = await createFixture(db);
  t.after(() => dropFixture(db, f));
  return f;
}

const twoChunks = () => ({
  chunks: ["first chunk", "second chunk"],
  embeddings: [makeEmbedding(16, 1), makeEmbedding(16, 2)],
});

describe("db.transaction", () => {
  test("writes commit with the transaction", async (t) => {
    const f = await fixture(t);
    const res = await db.transaction(async (tx) => {
      const w = await storeSectionResult(tx, { leadId: f.leadId, sectionId: "overview", content: { v: 1 }, ...twoChunks() });
      await selectCms(tx, { leadId: f.leadId, cmsId: f.cmsId });
      // visible inside the transaction
      assert.equal(await countChunks(tx, f.leadId, "overview"), 2);
      return w;
    });
    assert.equal(res.chunksWritten, 2);
    assert.ok(await readSection(db, f.leadId, "overview"));
    assert.equal(await countChunks(db, f.leadId, "overview"), 2);
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, f.cmsId);
  });

  test("throwing from the callback rolls the calls back", async (t) => {
    const f = await fixture(t);
    class Abort extends Error {}
    await assert.rejects(
      db.transaction(async (tx) => {
        await storeSectionResult(tx, { leadId: f.leadId, sectionId: "overview", content: {}, ...twoChunks() });
        await selectCms(tx, { leadId: f.leadId, cmsId: f.cmsId });
        await beginDeepScan(tx, { leadId: f.leadId });
        throw new Abort("the application changed its mind");
      }),
      Abort,
    );
    assert.equal(await readSection(db, f.leadId, "overview"), undefined);
    assert.equal(await countChunks(db, f.leadId), 0);
    const lead = await readLead(db, f.leadId);
    assert.equal(lead?.selectedCmsId, null);
    assert.equal(lead?.deepScanStatus, "pending");
  });

  test("tx.rollback() rolls the calls back", async (t) => {
    const f = await fixture(t);
    await storeSectionResult(db, { leadId: f.leadId, sectionId: "budget", content: { v: "old" }, ...twoChunks() });
    await assert.rejects(
      db.transaction(async (tx) => {
        const w = await storeSectionResult(tx, {
          leadId: f.leadId,
          sectionId: "budget",
          content: { v: "new" },
          chunks: ["replacement"],
          embeddings: [makeEmbedding(16, 3)],
        });
        assert.equal(w.chunksReplaced, 2);
        tx.rollback();
      }),
      TransactionRollbackError,
    );
    assert.deepEqual((await readSection(db, f.leadId, "budget"))?.content, { v: "old" });
    assert.equal(await countChunks(db, f.leadId, "budget"), 2);
  });

  test("a leadstore error thrown inside the transaction rolls back its earlier calls", async (t) => {
    const f = await fixture(t);
    await assert.rejects(
      db.transaction(async (tx) => {
        await storeSectionResult(tx, { leadId: f.leadId, sectionId: "overview", content: {}, ...twoChunks() });
        await selectCms(tx, { leadId: f.leadId, cmsId: f.frameworkId });
      }),
      NotACmsOfBusinessUnitError,
    );
    assert.equal(await readSection(db, f.leadId, "overview"), undefined);
    assert.equal(await countChunks(db, f.leadId), 0);
  });

  test("a failed call in a nested transaction (savepoint) leaves the outer work intact", async (t) => {
    const f = await fixture(t);
    const missingCms = uid("no-such-cms");
    const outcome = await db.transaction(async (tx) => {
      await storeSectionResult(tx, { leadId: f.leadId, sectionId: "overview", content: { by: "outer" }, ...twoChunks() });
      await selectCms(tx, { leadId: f.leadId, cmsId: f.cmsId });

      let nestedError: unknown;
      try {
        await tx.transaction(async (nested) => {
          await storeSectionResult(nested, { leadId: f.leadId, sectionId: "risks", content: { by: "nested" }, ...twoChunks() });
          await storeSectionResult(nested, { leadId: f.leadId, sectionId: "overview", content: { by: "nested" } });
          await selectCms(nested, { leadId: f.leadId, cmsId: missingCms }); // fails: rolls back to the savepoint
        });
      } catch (e) {
        nestedError = e;
      }
      assert.ok(nestedError instanceof TechnologyNotFoundError, String(nestedError));

      // the outer transaction goes on: its own earlier work is there, the nested work is not
      assert.deepEqual((await readSection(tx, f.leadId, "overview"))?.content, { by: "outer" });
      assert.equal(await readSection(tx, f.leadId, "risks"), undefined);
      await storeSectionResult(tx, { leadId: f.leadId, sectionId: "budget", content: { by: "outer, later" } });
      return "committed";
    });
    assert.equal(outcome, "committed");
    assert.deepEqual((await readSection(db, f.leadId, "overview"))?.content, { by: "outer" });
    assert.equal(await countChunks(db, f.leadId, "overview"), 2);
    assert.ok(await readSection(db, f.leadId, "budget"));
    assert.equal(await readSection(db, f.leadId, "risks"), undefined);
    assert.equal(await countChunks(db, f.leadId, "risks"), 0);
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, f.cmsId);
  });

  test("a successful nested transaction commits with the outer one", async (t) => {
    const f = await fixture(t);
    await db.transaction(async (tx) => {
      await tx.transaction(async (nested) => {
        await storeSectionResult(nested, { leadId: f.leadId, sectionId: "security", content: {}, ...twoChunks() });
      });
    });
    assert.equal(await countChunks(db, f.leadId, "security"), 2);
  });
});
