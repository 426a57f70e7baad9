// The CMS selection functions through the client module.
import assert from "node:assert/strict";
import { after, before, describe, test } from "./support/test.js";

import { clearCmsSelection, selectCms, selectCmsIf, selectDefaultCms } from "../src/leadstore.js";
import { connect, createFixture, dropFixture, readLead, type Db, type Fixture } from "./support/db.js";

let pool: ReturnType<typeof connect>["pool"];
let db: Db;

before(() => {
  ({ pool, db } = connect());
});

after(async () => {
  await pool.end();
});

/** A fresh fixture per test, dropped after it. */
async function fixture(t: { after: (fn: () => Promise<void>) => void }): Promise<Fixture> {
  const f = await createFixture(db);
  t.after(() => dropFixture(db, f));
  return f;
}

describe("selectCms", () => {
  test("selects, re-selects without writing, and switches", async (t) => {
    const f = await fixture(t);
    const first = await selectCms(db, { leadId: f.leadId, cmsId: f.cmsId });
    assert.deepEqual(first, { leadId: f.leadId, previousCmsId: null, selectedCmsId: f.cmsId, changed: true });
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, f.cmsId);

    const updatedAt = (await readLead(db, f.leadId))!.updatedAt;
    const again = await selectCms(db, { leadId: f.leadId, cmsId: f.cmsId, nowait: true });
    assert.deepEqual(again, { leadId: f.leadId, previousCmsId: f.cmsId, selectedCmsId: f.cmsId, changed: false });
    assert.equal((await readLead(db, f.leadId))!.updatedAt.getTime(), updatedAt.getTime());

    const other = await selectCms(db, { leadId: f.leadId, cmsId: f.cms2Id, nowait: false });
    assert.deepEqual(other, { leadId: f.leadId, previousCmsId: f.cmsId, selectedCmsId: f.cms2Id, changed: true });
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, f.cms2Id);
  });
});

describe("selectCmsIf", () => {
  test("writes when the selection is the expected one (null: none)", async (t) => {
    const f = await fixture(t);
    const r1 = await selectCmsIf(db, { leadId: f.leadId, expectedCmsId: null, cmsId: f.cmsId });
    assert.deepEqual(r1, { leadId: f.leadId, previousCmsId: null, selectedCmsId: f.cmsId, changed: true });
    const r2 = await selectCmsIf(db, { leadId: f.leadId, expectedCmsId: f.cmsId, cmsId: f.cms2Id, nowait: true });
    assert.deepEqual(r2, { leadId: f.leadId, previousCmsId: f.cmsId, selectedCmsId: f.cms2Id, changed: true });
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, f.cms2Id);
  });

  test("a stale expectation writes nothing and returns the current selection", async (t) => {
    const f = await fixture(t);
    await selectCms(db, { leadId: f.leadId, cmsId: f.cms2Id });
    const before = await readLead(db, f.leadId);
    const r = await selectCmsIf(db, { leadId: f.leadId, expectedCmsId: null, cmsId: f.cmsId });
    assert.deepEqual(r, { leadId: f.leadId, previousCmsId: f.cms2Id, selectedCmsId: f.cms2Id, changed: false });
    const r2 = await selectCmsIf(db, { leadId: f.leadId, expectedCmsId: f.cmsId, cmsId: f.defaultCmsId });
    assert.equal(r2.changed, false);
    assert.equal(r2.selectedCmsId, f.cms2Id);
    const afterRow = await readLead(db, f.leadId);
    assert.equal(afterRow?.selectedCmsId, f.cms2Id);
    assert.equal(afterRow?.updatedAt.getTime(), before?.updatedAt.getTime());
  });
});

describe("clearCmsSelection", () => {
  test("clears, then reports nothing to clear", async (t) => {
    const f = await fixture(t);
    await selectCms(db, { leadId: f.leadId, cmsId: f.cmsId });
    const r1 = await clearCmsSelection(db, { leadId: f.leadId });
    assert.deepEqual(r1, { leadId: f.leadId, previousCmsId: f.cmsId, selectedCmsId: null, changed: true });
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, null);
    const r2 = await clearCmsSelection(db, { leadId: f.leadId, nowait: true });
    assert.deepEqual(r2, { leadId: f.leadId, previousCmsId: null, selectedCmsId: null, changed: false });
  });
});

describe("selectDefaultCms", () => {
  test("selects the business unit's default CMS when nothing is selected", async (t) => {
    const f = await fixture(t);
    const r = await selectDefaultCms(db, { leadId: f.leadId });
    assert.deepEqual(r, { leadId: f.leadId, previousCmsId: null, selectedCmsId: f.defaultCmsId, changed: true });
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, f.defaultCmsId);
  });

  test("keeps an existing selection", async (t) => {
    const f = await fixture(t);
    await selectCms(db, { leadId: f.leadId, cmsId: f.cmsId });
    const r = await selectDefaultCms(db, { leadId: f.leadId, nowait: true });
    assert.deepEqual(r, { leadId: f.leadId, previousCmsId: f.cmsId, selectedCmsId: f.cmsId, changed: false });
  });

  test("writes nothing when the business unit has no default CMS", async (t) => {
    const f = await fixture(t);
    const r = await selectDefaultCms(db, { leadId: f.otherLeadId });
    assert.deepEqual(r, { leadId: f.otherLeadId, previousCmsId: null, selectedCmsId: null, changed: false });
  });
});
