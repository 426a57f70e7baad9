// examples/usage.ts (embedded verbatim in the top-level README.md) runs
// against the test database, in each of its outcomes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "./support/test.js";

import { storeSectionAndPickCms, type Embed } from "../examples/usage.js";
import { selectCms } from "../src/leadstore.js";
import {
  connect,
  connectClient,
  float32BitsBE,
  createFixture,
  dropFixture,
  makeEmbedding,
  readChunks,
  readLead,
  readSection,
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

/** A stand-in for the embedding model: 3072 deterministic floats per text. */
const fakeEmbed: Embed = async (texts) => texts.map((t, i) => makeEmbedding(3072, t.length * 31 + i));

describe("examples/usage.ts", () => {
  test("stores the section with its chunks and selects the CMS", async (t) => {
    const f = await fixture(t);
    const { section, outcome } = await storeSectionAndPickCms(db, { leadId: f.leadId, cmsId: f.cmsId }, fakeEmbed);
    assert.equal(section.created, true);
    assert.equal(section.chunksWritten, 2);
    assert.equal(outcome.kind, "selected");
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, f.cmsId);
    const row = await readSection(db, f.leadId, "technology");
    assert.equal(row?.confidence, 80);
    const chunks = await readChunks(db, f.leadId, "technology");
    const expected = await fakeEmbed(chunks.map((c) => c.content));
    assert.equal(chunks.length, 2);
    chunks.forEach((c, i) => assert.ok(c.bits.equals(float32BitsBE(expected[i]!))));
  });

  test("keeps a selection someone else made meanwhile", async (t) => {
    const f = await fixture(t);
    await selectCms(db, { leadId: f.leadId, cmsId: f.cms2Id });
    const { outcome } = await storeSectionAndPickCms(db, { leadId: f.leadId, cmsId: f.cmsId }, fakeEmbed);
    assert.equal(outcome.kind, "kept");
    assert.ok(outcome.kind === "kept" && outcome.selection.selectedCmsId === f.cms2Id);
  });

  test("reports a CMS of another business unit as rejected", async (t) => {
    const f = await fixture(t);
    const { section, outcome } = await storeSectionAndPickCms(db, { leadId: f.leadId, cmsId: f.otherBuCmsId }, fakeEmbed);
    assert.equal(section.chunksWritten, 2, "the section was stored all the same");
    assert.equal(outcome.kind, "rejected");
    assert.ok(outcome.kind === "rejected" && /does not belong to the business unit/.test(outcome.reason));
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, null);
  });

  test("reports busy while another request holds the lead", async (t) => {
    const f = await fixture(t);
    const holder = await connectClient();
    try {
      await holder.query("begin");
      await holder.query("select 1 from leads where id = $1 for no key update", [f.leadId]);
      const { section, outcome } = await storeSectionAndPickCms(db, { leadId: f.leadId, cmsId: f.cmsId }, fakeEmbed);
      assert.equal(section.chunksWritten, 2, "section stores do not wait for the lead's lock");
      assert.equal(outcome.kind, "busy");
    } finally {
      await holder.query("rollback");
      await holder.end();
    }
  });
});
