// beginDeepScan / finishDeepScan through the client module, and timestamps
// as Date whatever the session's TimeZone.
import assert from "node:assert/strict";
import { after, before, describe, test } from "./support/test.js";

import { sql } from "drizzle-orm";

import {
  beginDeepScan,
  DataModelError,
  finishDeepScan,
  InvalidArgumentError,
  NotRunningError,
  StaleRunError,
  storeSectionResult,
} from "../src/leadstore.js";
import { assertError, rejection } from "./support/assert.js";
import { connect, createFixture, dropFixture, readLead, type Db, type Fixture } from "./support/db.js";

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

/** started_at of the lead exactly, as ISO text in UTC with microseconds (read in SQL). */
async function startedExact(leadId: string): Promise<string | null> {
  const res = await db.execute(sql`
    select to_char(deep_scan_started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as t
      from leads where id = ${leadId}`);
  return res.rows[0]!.t as string | null;
}

/** Makes the lead's running run look old (so the next begin takes it over) and returns its token. */
async function ageRun(leadId: string, micros = "123456"): Promise<void> {
  await db.execute(sql`
    update leads set deep_scan_started_at = date_trunc('second', now() - interval '2 hours')
                                            + ${`${micros} microseconds`}::interval
     where id = ${leadId}`);
}

describe("the run token (0.2.0)", () => {
  test("beginDeepScan returns the token: started_at exactly as the server sent it", async (t) => {
    const f = await fixture(t);
    await beginDeepScan(db, { leadId: f.leadId });
    await ageRun(f.leadId, "654321"); // microseconds that a Date cannot hold
    const run = await beginDeepScan(db, { leadId: f.leadId, staleAfter: "3 hours" });
    assert.equal(run.transitioned, false);
    assert.equal(typeof run.runToken, "string");
    // the token is the server's text: it reads back as the very same instant, to the microsecond
    const res = await db.execute(sql`
      select ${run.runToken}::timestamptz = deep_scan_started_at as same,
             to_char(${run.runToken}::timestamptz at time zone 'UTC', 'US') as us
        from leads where id = ${f.leadId}`);
    assert.equal(res.rows[0]!.same, true);
    assert.match(run.runToken!, /\.\d{6}[+-]\d\d/, "microseconds and the UTC offset");
    assert.equal(String(res.rows[0]!.us).slice(-6), "654321");
    assert.equal(run.startedAt!.getTime(), Date.parse(`${(await startedExact(f.leadId))!.slice(0, 23)}Z`));
  });

  test("the token passed back as a string finishes the run", async (t) => {
    const f = await fixture(t);
    const run = await beginDeepScan(db, { leadId: f.leadId });
    await storeSectionResult(db, { leadId: f.leadId, sectionId: "overview", content: {} });
    const done = await finishDeepScan(db, { leadId: f.leadId, startedAt: run.runToken });
    assert.equal(done.status, "completed");
    assert.equal(done.transitioned, true);
    assert.equal(done.runToken, run.runToken);
  });

  test("the token works from a session in another TimeZone", async (t) => {
    const f = await fixture(t);
    const run = await db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('TimeZone', 'Asia/Kolkata', true)`);
      return beginDeepScan(tx, { leadId: f.leadId });
    });
    assert.match(run.runToken!, /\+05:30$/);
    const done = await db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('TimeZone', 'America/St_Johns', true)`);
      return finishDeepScan(tx, { leadId: f.leadId, startedAt: run.runToken, outcome: "completed" });
    });
    assert.equal(done.status, "completed");
  });

  test("the token as a Date (milliseconds only) is accepted too", async (t) => {
    const f = await fixture(t);
    await beginDeepScan(db, { leadId: f.leadId });
    await ageRun(f.leadId, "987654");
    const run = await beginDeepScan(db, { leadId: f.leadId, staleAfter: "3 hours" });
    assert.equal(run.startedAt!.getUTCMilliseconds(), 987, "the Date lost the microseconds");
    const done = await finishDeepScan(db, { leadId: f.leadId, startedAt: run.startedAt, outcome: "failed" });
    assert.equal(done.status, "failed");
  });

  test("takeover: the stale runner's late finish is a StaleRunError and writes nothing; the new runner finishes", async (t) => {
    const f = await fixture(t);
    const a = await beginDeepScan(db, { leadId: f.leadId });
    await ageRun(f.leadId);
    const aToken = (await beginDeepScan(db, { leadId: f.leadId, staleAfter: "3 hours" })).runToken;
    assert.notEqual(aToken, a.runToken, "ageRun moved the run's start");
    const b = await beginDeepScan(db, { leadId: f.leadId, staleAfter: "1 hour" });
    assert.equal(b.transitioned, true, "B took the stale run over");
    assert.notEqual(b.runToken, aToken);
    const leadBefore = await readLead(db, f.leadId);

    const err = assertError(
      await rejection(finishDeepScan(db, { leadId: f.leadId, startedAt: aToken, outcome: "completed" })),
      StaleRunError,
      "55000",
    );
    assert.ok(err instanceof NotRunningError, "a StaleRunError is a NotRunningError");
    assert.match(err.detail ?? "", /running/, "the detail names the current run's status");
    assert.deepEqual(await readLead(db, f.leadId), leadBefore, "nothing written");

    const done = await finishDeepScan(db, { leadId: f.leadId, startedAt: b.runToken, outcome: "completed" });
    assert.equal(done.status, "completed");
    assert.equal(done.runToken, b.runToken);
  });

  test("finishing a run twice with its token: the second is a StaleRunError", async (t) => {
    const f = await fixture(t);
    const run = await beginDeepScan(db, { leadId: f.leadId });
    await finishDeepScan(db, { leadId: f.leadId, startedAt: run.runToken, outcome: "failed" });
    const leadBefore = await readLead(db, f.leadId);
    const err = assertError(
      await rejection(finishDeepScan(db, { leadId: f.leadId, startedAt: run.runToken, outcome: "completed" })),
      StaleRunError,
      "55000",
    );
    assert.match(err.detail ?? "", /failed/, "the detail names the current status");
    assert.deepEqual(await readLead(db, f.leadId), leadBefore, "nothing written");
  });

  test("without a token, a lead that is not running is a NotRunningError (not stale)", async (t) => {
    const f = await fixture(t);
    assertError(await rejection(finishDeepScan(db, { leadId: f.leadId })), NotRunningError, "55000");
  });
});

describe("outcome and error (0.2.0)", () => {
  test("outcome is stored as given, whatever was stored", async (t) => {
    const f = await fixture(t);
    let run = await beginDeepScan(db, { leadId: f.leadId });
    let done = await finishDeepScan(db, { leadId: f.leadId, startedAt: run.runToken, outcome: "completed" });
    assert.equal(done.status, "completed", "completed with no section stored");
    assert.equal(done.sectionsStored, 0);

    run = await beginDeepScan(db, { leadId: f.leadId });
    await storeSectionResult(db, { leadId: f.leadId, sectionId: "overview", content: {} });
    done = await finishDeepScan(db, { leadId: f.leadId, startedAt: run.runToken, outcome: "failed" });
    assert.equal(done.status, "failed", "failed although a section was stored");
    assert.equal(done.sectionsStored, 1);
    assert.equal((await readLead(db, f.leadId))?.deepScanStatus, "failed");
  });

  test("an outcome other than completed/failed: InvalidArgumentError 22023, nothing written", async (t) => {
    const f = await fixture(t);
    const run = await beginDeepScan(db, { leadId: f.leadId });
    const before = await readLead(db, f.leadId);
    for (const outcome of ["done", "running", "pending", "", "Completed"]) {
      assertError(
        await rejection(
          finishDeepScan(db, { leadId: f.leadId, startedAt: run.runToken, outcome: outcome as "completed" }),
        ),
        InvalidArgumentError,
        "22023",
      );
      assert.deepEqual(await readLead(db, f.leadId), before, outcome);
    }
  });

  test("an error text is stored in deep_scan_error; the next begin clears it", async (t) => {
    const f = await fixture(t);
    let run = await beginDeepScan(db, { leadId: f.leadId });
    await finishDeepScan(db, { leadId: f.leadId, startedAt: run.runToken, outcome: "failed", error: "model timeout" });
    let lead = await readLead(db, f.leadId);
    assert.equal(lead?.deepScanStatus, "failed");
    assert.equal(lead?.deepScanError, "model timeout");
    run = await beginDeepScan(db, { leadId: f.leadId });
    assert.equal((await readLead(db, f.leadId))?.deepScanError, null, "begin cleared it");
    await finishDeepScan(db, { leadId: f.leadId, startedAt: run.runToken, outcome: "failed", error: "again" });
    run = await beginDeepScan(db, { leadId: f.leadId, staleAfter: 0 });
    await finishDeepScan(db, { leadId: f.leadId, startedAt: run.runToken, outcome: "completed" });
    lead = await readLead(db, f.leadId);
    assert.equal(lead?.deepScanStatus, "completed");
    assert.equal(lead?.deepScanError, null);
  });

  test("an error text and no deep_scan_error column: DataModelError 42703 with a HINT, nothing written", async (t) => {
    const f = await fixture(t);
    const run = await beginDeepScan(db, { leadId: f.leadId });
    const before = await readLead(db, f.leadId);
    // the optional column, mapped to a name the table does not have
    const err = assertError(
      await rejection(
        db.transaction(async (tx) => {
          await tx.execute(sql`set local leadstore.column_names = 'leads.deep_scan_error=no_error_column'`);
          await finishDeepScan(tx, { leadId: f.leadId, startedAt: run.runToken, outcome: "failed", error: "model timeout" });
        }),
      ),
      DataModelError,
      "42703",
      /no_error_column/,
    );
    assert.match(err.hint ?? "", /ADD COLUMN no_error_column text/i);
    assert.deepEqual(await readLead(db, f.leadId), before);
    // without an error text the same call works (the column is optional)
    const done = await db.transaction(async (tx) => {
      await tx.execute(sql`set local leadstore.column_names = 'leads.deep_scan_error=no_error_column'`);
      return finishDeepScan(tx, { leadId: f.leadId, startedAt: run.runToken, outcome: "failed" });
    });
    assert.equal(done.status, "failed");
  });
});
