// beginDeepScan / finishDeepScan through the client module, and timestamps
// as Date whatever the session's TimeZone.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { sql } from "drizzle-orm";

import { beginDeepScan, finishDeepScan, storeSectionResult } from "../src/leadstore.js";
import { connect, createFixture, dropFixture, type Db, type Fixture } from "./support/db.js";

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

/** deep_scan_started_at / _completed_at in epoch milliseconds (truncated), read in SQL */
async function leadTimes(leadId: string): Promise<{ started: number | null; completed: number | null; status: string }> {
  const res = await db.execute(sql`
    select floor(extract(epoch from deep_scan_started_at) * 1000)::int8::text as started,
           floor(extract(epoch from deep_scan_completed_at) * 1000)::int8::text as completed,
           deep_scan_status as status
      from leads where id = ${leadId}`);
  const r = res.rows[0]!;
  return {
    started: r.started === null ? null : Number(r.started),
    completed: r.completed === null ? null : Number(r.completed),
    status: r.status as string,
  };
}

describe("beginDeepScan / finishDeepScan", () => {
  test("begin starts a run once; finish completes it with the sections stored", async (t) => {
    const f = await fixture(t);
    const begun = await beginDeepScan(db, { leadId: f.leadId });
    assert.equal(begun.leadId, f.leadId);
    assert.equal(begun.status, "running");
    assert.equal(begun.transitioned, true);
    assert.equal(begun.sectionsStored, 0);
    assert.equal(begun.completedAt, null);
    assert.ok(begun.startedAt instanceof Date);
    const times = await leadTimes(f.leadId);
    assert.equal(times.status, "running");
    assert.equal(begun.startedAt.getTime(), times.started);
    assert.ok(Math.abs(begun.startedAt.getTime() - Date.now()) < 60_000);

    const again = await beginDeepScan(db, { leadId: f.leadId });
    assert.equal(again.transitioned, false);
    assert.equal(again.status, "running");
    assert.equal(again.startedAt?.getTime(), begun.startedAt.getTime());

    for (const sectionId of ["overview", "budget"])
      await storeSectionResult(db, { leadId: f.leadId, sectionId, content: { ok: true } });

    const finished = await finishDeepScan(db, { leadId: f.leadId });
    assert.equal(finished.status, "completed");
    assert.equal(finished.transitioned, true);
    assert.equal(finished.sectionsStored, 2);
    assert.equal(finished.startedAt?.getTime(), begun.startedAt.getTime());
    assert.ok(finished.completedAt instanceof Date);
    assert.equal(finished.completedAt.getTime(), (await leadTimes(f.leadId)).completed);
  });

  test("a run without stored sections finishes as failed", async (t) => {
    const f = await fixture(t);
    await storeSectionResult(db, { leadId: f.leadId, sectionId: "old", content: {} });
    const begun = await beginDeepScan(db, { leadId: f.leadId });
    assert.equal(begun.sectionsStored, 0);
    const finished = await finishDeepScan(db, { leadId: f.leadId });
    assert.equal(finished.status, "failed");
    assert.equal(finished.sectionsStored, 0);
    assert.equal((await leadTimes(f.leadId)).status, "failed");
  });

  test("staleAfter as milliseconds or as an interval string", async (t) => {
    const f = await fixture(t);
    const first = await beginDeepScan(db, { leadId: f.leadId, staleAfter: "1 hour" });
    assert.equal(first.transitioned, true);
    assert.equal((await beginDeepScan(db, { leadId: f.leadId, staleAfter: "1 hour" })).transitioned, false);
    assert.equal((await beginDeepScan(db, { leadId: f.leadId, staleAfter: 3_600_000 })).transitioned, false);
    // not younger than 0 ms: the run counts as abandoned and restarts
    const restarted = await beginDeepScan(db, { leadId: f.leadId, staleAfter: 0 });
    assert.equal(restarted.transitioned, true);
    assert.ok(restarted.startedAt!.getTime() >= first.startedAt!.getTime());
    assert.equal((await beginDeepScan(db, { leadId: f.leadId, staleAfter: "0 seconds" })).transitioned, true);
    assert.equal((await beginDeepScan(db, { leadId: f.leadId, staleAfter: "PT0S" })).transitioned, true);
  });

  test("timestamps are the same instant whatever the session TimeZone", async (t) => {
    const f = await fixture(t);
    const begun = await beginDeepScan(db, { leadId: f.leadId });
    const expected = (await leadTimes(f.leadId)).started;
    for (const tz of ["UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "Europe/Berlin"]) {
      const seen = await db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('TimeZone', ${tz}, true)`);
        return beginDeepScan(tx, { leadId: f.leadId });
      });
      assert.equal(seen.transitioned, false, tz);
      assert.equal(seen.startedAt?.getTime(), expected, tz);
      assert.equal(seen.startedAt?.getTime(), begun.startedAt?.getTime(), tz);
    }
  });

  test("historic offsets with seconds, years before 100 and BC parse exactly", async (t) => {
    const f = await fixture(t);
    const cases: Array<[string, string, number]> = [
      // [stored timestamptz, session TimeZone, expected epoch ms]
      ["1890-01-01 00:00:00+00", "Europe/Amsterdam", Date.UTC(1890, 0, 1)],
      ["2024-02-29 23:59:59.999999+00", "America/St_Johns", Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
      ["0099-06-30 12:00:00+00", "UTC", -59027400000000],
      ["0044-03-15 12:00:00+00 BC", "Europe/Amsterdam", -63517780800000],
    ];
    for (const [stored, tz, expectedMs] of cases) {
      await db.execute(
        sql`update leads set deep_scan_status = 'running', deep_scan_started_at = ${stored}::timestamptz where id = ${f.leadId}`,
      );
      const seen = await db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('TimeZone', ${tz}, true)`);
        return beginDeepScan(tx, { leadId: f.leadId, staleAfter: "3000 years" });
      });
      assert.equal(seen.transitioned, false, stored);
      assert.equal(seen.startedAt?.getTime(), expectedMs, `${stored} in ${tz}`);
    }
  });
});
