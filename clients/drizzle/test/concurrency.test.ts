// Several connections of a pg.Pool at once: the 13 sections of one lead
// stored in parallel, row locks and nowait, compare-and-set races.
import assert from "node:assert/strict";
import { after, before, describe, test } from "./support/test.js";

import { sql } from "drizzle-orm";
import type pg from "pg";

import {
  beginDeepScan,
  clearCmsSelection,
  finishDeepScan,
  LockNotAvailableError,
  selectCms,
  selectCmsIf,
  selectDefaultCms,
  storeSectionResult,
} from "../src/leadstore.js";
import {
  connect,
  connectClient,
  countChunks,
  createFixture,
  dropFixture,
  float32BitsBE,
  listSections,
  makeEmbedding,
  readChunks,
  readLead,
  SECTION_IDS,
  type Db,
  type Fixture,
} from "./support/db.js";

let pool: pg.Pool;
let db: Db;

before(() => {
  ({ pool, db } = connect(16));
});

after(async () => {
  await pool.end();
});

async function fixture(t: { after: (fn: () => Promise<void>) => void }): Promise<Fixture> {
  const f = await createFixture(db);
  t.after(() => dropFixture(db, f));
  return f;
}

/** Runs fn while another connection holds `lockSql` (on $1) in an open transaction. */
async function whileLocked<T>(lockSql: string, id: string, fn: () => Promise<T>): Promise<T> {
  const holder = await connectClient();
  try {
    await holder.query("begin");
    const res = await holder.query(lockSql, [id]);
    assert.equal(res.rowCount, 1, "the holder locked the row");
    return await fn();
  } finally {
    await holder.query("rollback").catch(() => undefined);
    await holder.end();
  }
}

const LOCK_LEAD = "select 1 from leads where id = $1 for no key update";
const LOCK_TECH = "select 1 from technologies where id = $1 for update";

function sectionChunks(sectionId: string, n: number) {
  const chunks = Array.from({ length: n }, (_, i) => `${sectionId} chunk ${i}`);
  const embeddings = chunks.map((_, i) => makeEmbedding(3072, sectionId.length * 100 + i));
  return { chunks, embeddings };
}

describe("parallel section stores", () => {
  test("the 13 sections of one lead stored in parallel from a pool (Promise.all)", { timeout: 60_000 }, async (t) => {
    const f = await fixture(t);
    const inputs = SECTION_IDS.map((sectionId) => ({ sectionId, ...sectionChunks(sectionId, 3) }));
    const results = await Promise.all(
      inputs.map(({ sectionId, chunks, embeddings }) =>
        storeSectionResult(db, {
          leadId: f.leadId,
          sectionId,
          content: { sectionId, findings: [`${sectionId} finding`] },
          confidence: 60,
          sources: ["rfp.pdf"],
          chunks,
          embeddings,
        }),
      ),
    );
    assert.ok(pool.totalCount > 1, `the pool used several connections (${pool.totalCount})`);
    assert.equal(results.length, 13);
    for (const r of results) {
      assert.equal(r.created, true);
      assert.equal(r.chunksWritten, 3);
      assert.equal(r.rfpId, f.rfpId);
    }
    assert.equal(new Set(results.map((r) => r.sectionRowId)).size, 13);

    const sections = await listSections(db, f.leadId);
    assert.deepEqual(
      sections.map((s) => s.sectionId),
      [...SECTION_IDS].sort(),
    );
    assert.equal(await countChunks(db, f.leadId), 39);
    for (const { sectionId, chunks, embeddings } of inputs) {
      const rows = await readChunks(db, f.leadId, sectionId);
      assert.deepEqual(
        rows.map((r) => r.content),
        chunks,
        sectionId,
      );
      rows.forEach((r, i) => assert.ok(r.bits.equals(float32BitsBE(embeddings[i]!)), `${sectionId} chunk ${i}`));
    }
  });

  test("13 open transactions each storing one section do not wait for each other", { timeout: 60_000 }, async (t) => {
    const f = await fixture(t);
    await beginDeepScan(db, { leadId: f.leadId });
    // Each transaction stores its section, then waits until all 13 have
    // stored before committing: if one store waited for another's lock, it
    // would wait for a commit that waits for it, and lock_timeout ends it.
    let stored = 0;
    let release!: () => void;
    const allStored = new Promise<void>((resolve) => (release = resolve));
    await Promise.all(
      SECTION_IDS.map((sectionId) =>
        db.transaction(async (tx) => {
          await tx.execute(sql`set local lock_timeout = '10s'`);
          await storeSectionResult(tx, { leadId: f.leadId, sectionId, content: { sectionId }, ...sectionChunks(sectionId, 2) });
          if (++stored === SECTION_IDS.length) release();
          await allStored;
        }),
      ),
    );
    assert.equal(stored, 13);
    assert.equal((await listSections(db, f.leadId)).length, 13);
    assert.equal(await countChunks(db, f.leadId), 26);
    const run = await finishDeepScan(db, { leadId: f.leadId });
    assert.equal(run.status, "completed");
    assert.equal(run.sectionsStored, 13);
  });

  test("a section store is not blocked while another client holds the lead FOR NO KEY UPDATE", async (t) => {
    const f = await fixture(t);
    const w = await whileLocked(LOCK_LEAD, f.leadId, () =>
      db.transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = '2s'`);
        return storeSectionResult(tx, { leadId: f.leadId, sectionId: "overview", content: {}, ...sectionChunks("overview", 1) });
      }),
    );
    assert.equal(w.created, true);
    assert.equal(await countChunks(db, f.leadId, "overview"), 1);
  });
});

describe("row locks", () => {
  test("nowait: LockNotAvailableError while another client holds the lead FOR NO KEY UPDATE", async (t) => {
    const f = await fixture(t);
    const errors = await whileLocked(LOCK_LEAD, f.leadId, async () => {
      const calls = [
        () => selectCms(db, { leadId: f.leadId, cmsId: f.cmsId, nowait: true }),
        () => selectCmsIf(db, { leadId: f.leadId, expectedCmsId: null, cmsId: f.cmsId, nowait: true }),
        () => clearCmsSelection(db, { leadId: f.leadId, nowait: true }),
        () => selectDefaultCms(db, { leadId: f.leadId, nowait: true }),
      ];
      const out: unknown[] = [];
      for (const call of calls) out.push(await call().then(() => "resolved", (e: unknown) => e));
      return out;
    });
    for (const err of errors) {
      assert.ok(err instanceof LockNotAvailableError, String(err));
      assert.equal(err.code, "55P03");
    }
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, null);
    // once the holder is gone the same call goes through
    assert.equal((await selectCms(db, { leadId: f.leadId, cmsId: f.cmsId, nowait: true })).changed, true);
  });

  test("nowait: LockNotAvailableError while the technology row is locked", async (t) => {
    const f = await fixture(t);
    const err = await whileLocked(LOCK_TECH, f.cmsId, () =>
      selectCms(db, { leadId: f.leadId, cmsId: f.cmsId, nowait: true }).then(() => "resolved", (e: unknown) => e),
    );
    assert.ok(err instanceof LockNotAvailableError, String(err));
  });

  test("without nowait, lock_timeout ends the wait with LockNotAvailableError", async (t) => {
    const f = await fixture(t);
    const err = await whileLocked(LOCK_LEAD, f.leadId, () =>
      db
        .transaction(async (tx) => {
          await tx.execute(sql`set local lock_timeout = '200ms'`);
          await selectCms(tx, { leadId: f.leadId, cmsId: f.cmsId });
        })
        .then(() => "resolved", (e: unknown) => e),
    );
    assert.ok(err instanceof LockNotAvailableError, String(err));
    assert.match(err.message, /lock timeout/);
  });

  test("without nowait, a selection waits for the holder and then applies", async (t) => {
    const f = await fixture(t);
    const holder = await connectClient();
    try {
      await holder.query("begin");
      await holder.query(LOCK_LEAD, [f.leadId]);
      let settled = false;
      const pending = selectCms(db, { leadId: f.leadId, cmsId: f.cmsId }).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(settled, false, "the selection waits for the lead's lock");
      await holder.query("commit");
      const r = await pending;
      assert.equal(r.changed, true);
    } finally {
      await holder.end();
    }
  });
});

describe("races", () => {
  test("of 8 concurrent selectCmsIf expecting no selection exactly one changes it", async (t) => {
    const f = await fixture(t);
    const candidates = [f.cmsId, f.cms2Id, f.defaultCmsId, f.cmsId, f.cms2Id, f.defaultCmsId, f.cmsId, f.cms2Id];
    const results = await Promise.all(
      candidates.map((cmsId) => selectCmsIf(db, { leadId: f.leadId, expectedCmsId: null, cmsId })),
    );
    const winners = results.filter((r) => r.changed);
    assert.equal(winners.length, 1);
    const winner = winners[0]!.selectedCmsId;
    for (const r of results) assert.equal(r.selectedCmsId, winner);
    assert.equal((await readLead(db, f.leadId))?.selectedCmsId, winner);
  });

  test("of 8 concurrent beginDeepScan exactly one starts the run", async (t) => {
    const f = await fixture(t);
    const results = await Promise.all(Array.from({ length: 8 }, () => beginDeepScan(db, { leadId: f.leadId })));
    assert.equal(results.filter((r) => r.transitioned).length, 1);
    for (const r of results) assert.equal(r.status, "running");
  });
});
