// Every error class of the client, built from the server's fields only:
// never Drizzle's message, which lists the query and every parameter.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "./support/test.js";

import { DrizzleQueryError, sql } from "drizzle-orm";

import {
  beginDeepScan,
  clearCmsSelection,
  DataModelError,
  finishDeepScan,
  InvalidArgumentError,
  LeadNotFoundError,
  LeadstoreError,
  LockNotAvailableError,
  NotACmsOfBusinessUnitError,
  NotFoundError,
  NotRunningError,
  selectCms,
  selectCmsIf,
  selectDefaultCms,
  storeSectionResult,
  TechnologyNotFoundError,
  toLeadstoreError,
} from "../src/leadstore.js";
import { assertError, assertNoLeak, rejection } from "./support/assert.js";
import { connect, createFixture, dropFixture, errorTexts, marker, uid, type Db, type Fixture } from "./support/db.js";

let pool: ReturnType<typeof connect>["pool"];
let db: Db;
let f: Fixture;

before(async () => {
  ({ pool, db } = connect());
  f = await createFixture(db);
});

after(async () => {
  await dropFixture(db, f);
  await pool.end();
});

describe("not found (P0002)", () => {
  test("an unknown lead is a LeadNotFoundError in every function", async () => {
    const missing = uid("no-such-lead");
    const calls: Array<() => Promise<unknown>> = [
      () => storeSectionResult(db, { leadId: missing, sectionId: "overview", content: {} }),
      () => selectCms(db, { leadId: missing, cmsId: f.cmsId }),
      () => selectCmsIf(db, { leadId: missing, expectedCmsId: null, cmsId: f.cmsId }),
      () => clearCmsSelection(db, { leadId: missing }),
      () => selectDefaultCms(db, { leadId: missing }),
      () => beginDeepScan(db, { leadId: missing }),
      () => finishDeepScan(db, { leadId: missing }),
    ];
    for (const call of calls) {
      const err = assertError(await rejection(call), LeadNotFoundError, "P0002", /^lead ".*" does not exist$/);
      assert.ok(err instanceof NotFoundError);
      assert.ok(err.message.includes(missing), "the message names the lead");
    }
  });

  test("an unknown technology is a TechnologyNotFoundError", async () => {
    const missing = uid("no-such-cms");
    for (const call of [
      () => selectCms(db, { leadId: f.leadId, cmsId: missing }),
      () => selectCmsIf(db, { leadId: f.leadId, expectedCmsId: null, cmsId: missing }),
    ]) {
      const err = assertError(await rejection(call), TechnologyNotFoundError, "P0002", /^technology ".*" does not exist$/);
      assert.ok(err instanceof NotFoundError);
      assert.ok(!(err instanceof LeadNotFoundError));
    }
  });
});

describe("invalid arguments (22023, 22004)", () => {
  test("confidence out of range: InvalidArgumentError 22023 with detail", async () => {
    const err = assertError(
      await rejection(storeSectionResult(db, { leadId: f.leadId, sectionId: "s", content: {}, confidence: 101 })),
      InvalidArgumentError,
      "22023",
      /confidence 101/,
    );
    assert.match(err.detail ?? "", /between 0 and 100/);
    assert.ok(!(err instanceof NotACmsOfBusinessUnitError));
  });

  test("an empty id, bad sources, chunk/embedding mismatch, NaN: 22023", async () => {
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [() => storeSectionResult(db, { leadId: "", sectionId: "s", content: {} }), /^lead_id must not be empty$/],
      [() => selectCms(db, { leadId: f.leadId, cmsId: "" }), /^cms_id must not be empty$/],
      [
        () => storeSectionResult(db, { leadId: f.leadId, sectionId: "s", content: {}, sources: "rfp.pdf" as unknown as string[] }),
        /sources/,
      ],
      [
        () => storeSectionResult(db, { leadId: f.leadId, sectionId: "s", content: {}, chunks: ["a"] }),
        /embeddings/,
      ],
      [
        () => storeSectionResult(db, {
          leadId: f.leadId,
          sectionId: "s",
          content: {},
          chunks: ["a"],
          embeddings: [[0.1, NaN, 0.3]],
        }),
        /NaN/,
      ],
      [
        () => storeSectionResult(db, {
          leadId: f.leadId,
          sectionId: "s",
          content: {},
          chunks: ["a"],
          embeddings: [[1e39]], // beyond float32: Infinity
        }),
        /Infinity/,
      ],
      [() => beginDeepScan(db, { leadId: f.leadId, staleAfter: -1000 }), /^stale_after must not be negative$/],
    ];
    for (const [call, message] of cases) assertError(await rejection(call), InvalidArgumentError, "22023", message);
  });

  test("embedding rows and chunks of different counts: InvalidArgumentError 22023 before anything is sent", async () => {
    // The packed form has no row count (d = bytes / 4 / chunks), so the
    // client checks what the server checks for the real[] form.
    const sectionId = uid("rows");
    const err = assertError(
      await rejection(
        storeSectionResult(db, {
          leadId: f.leadId,
          sectionId,
          content: {},
          chunks: ["a", "b"],
          embeddings: [new Float32Array(4)],
        }),
      ),
      InvalidArgumentError,
      "22023",
      /^embeddings does not have one row per chunk$/,
    );
    assert.match(err.detail ?? "", /chunks: 2\..*rows: 1\./);
    assertError(
      await rejection(
        storeSectionResult(db, { leadId: f.leadId, sectionId, content: {}, chunks: ["a"], embeddings: [[1], [2]] }),
      ),
      InvalidArgumentError,
      "22023",
    );
    const res = await db.execute(sql`select count(*)::int as n from lead_section_data where section_id = ${sectionId}`);
    assert.equal(res.rows[0]!.n, 0);
  });

  test("a NULL required argument: InvalidArgumentError 22004", async () => {
    assertError(
      await rejection(storeSectionResult(db, { leadId: f.leadId, sectionId: "s", content: null })),
      InvalidArgumentError,
      "22004",
      /^content must not be null$/,
    );
    assertError(
      await rejection(selectCms(db, { leadId: f.leadId, cmsId: null as unknown as string })),
      InvalidArgumentError,
      "22004",
      /^cms_id must not be null$/,
    );
  });

  test("a technology that is not a CMS: NotACmsOfBusinessUnitError with detail and hint", async () => {
    const err = assertError(
      await rejection(selectCms(db, { leadId: f.leadId, cmsId: f.frameworkId })),
      NotACmsOfBusinessUnitError,
      "22023",
      /is not a CMS$/,
    );
    assert.ok(err instanceof InvalidArgumentError);
    assert.match(err.detail ?? "", /"Framework"/);
    assert.match(err.hint ?? "", /"CMS"/);
    assertError(
      await rejection(selectCmsIf(db, { leadId: f.leadId, expectedCmsId: null, cmsId: f.noCategoryId })),
      NotACmsOfBusinessUnitError,
      "22023",
      /is not a CMS$/,
    );
  });

  test("a CMS of another business unit: NotACmsOfBusinessUnitError", async () => {
    const err = assertError(
      await rejection(selectCms(db, { leadId: f.leadId, cmsId: f.otherBuCmsId })),
      NotACmsOfBusinessUnitError,
      "22023",
      /does not belong to the business unit of lead/,
    );
    assert.match(err.detail ?? "", /belongs to business unit/);
    assert.match(err.hint ?? "", /^Choose a CMS of business unit/);
  });
});

describe("state and data model", () => {
  test("finishDeepScan on a lead that is not running: NotRunningError 55000", async () => {
    const err = assertError(
      await rejection(finishDeepScan(db, { leadId: f.leadId })),
      NotRunningError,
      "55000",
      /has no deep scan running$/,
    );
    assert.match(err.detail ?? "", /pending/);
    assert.match(err.hint ?? "", /begin_deep_scan/);
  });

  test("a missing data schema: DataModelError 42P01 with the hint naming the script", async () => {
    const schema = `no_such_schema_${randomUUID().replaceAll("-", "")}`;
    const err = await rejection(
      db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('leadstore.data_schema', ${schema}, true)`);
        await storeSectionResult(tx, { leadId: f.leadId, sectionId: "s", content: {} });
      }),
    );
    const e = assertError(err, DataModelError, "42P01", /^leadstore data schema ".*" does not exist$/);
    assert.match(e.hint ?? "", /leadstore_data_model\.sql/);
  });

  test("a missing table (42P01) and a missing column (42703): DataModelError", async () => {
    const schema = `ls_partial_${randomUUID().replaceAll("-", "")}`;
    const errTable = await rejection(
      db.transaction(async (tx) => {
        await tx.execute(sql.raw(`create schema ${schema}`));
        await tx.execute(sql`select set_config('leadstore.data_schema', ${schema}, true)`);
        await selectCms(tx, { leadId: f.leadId, cmsId: f.cmsId });
      }),
    );
    const t = assertError(errTable, DataModelError, "42P01", /^relation ".*\.leads" does not exist$/);
    assert.match(t.hint ?? "", /leadstore_data_model\.sql/);

    const errColumn = await rejection(
      db.transaction(async (tx) => {
        await tx.execute(sql.raw(`create schema ${schema}`));
        await tx.execute(sql.raw(`create table ${schema}.leads (id text primary key)`));
        await tx.execute(sql`select set_config('leadstore.data_schema', ${schema}, true)`);
        await clearCmsSelection(tx, { leadId: f.leadId });
      }),
    );
    assertError(errColumn, DataModelError, "42703", /^column ".*" of relation ".*\.leads" does not exist$/);
    // both transactions rolled back: the schema does not exist
    const res = await db.execute(sql`select count(*)::int as n from pg_namespace where nspname = ${schema}`);
    assert.equal(res.rows[0]!.n, 0);
  });
});

describe("other server errors: a plain LeadstoreError with the SQLSTATE", () => {
  test("insufficient privilege (42501)", async () => {
    const role = `ls_noperm_${randomUUID().replaceAll("-", "")}`;
    const secret = marker();
    const err = await rejection(
      db.transaction(async (tx) => {
        await tx.execute(sql.raw(`create role ${role}`));
        await tx.execute(sql.raw(`grant usage on schema leadstore to ${role}`));
        await tx.execute(sql.raw(`set local role ${role}`));
        await storeSectionResult(tx, {
          leadId: f.leadId,
          sectionId: "s",
          content: { secret },
          chunks: [secret],
          embeddings: [[1, 2, 3]],
        });
      }),
    );
    assertError(err, LeadstoreError, "42501", /^permission denied for table leads$/);
    await assertNoLeak(err, secret);
  });

  test("a serialization failure under REPEATABLE READ (40001): the caller retries", async () => {
    const sectionId = uid("rr");
    const err = await rejection(
      db.transaction(
        async (tx) => {
          await tx.execute(sql`select 1`); // the snapshot is taken here
          await storeSectionResult(db, { leadId: f.leadId, sectionId, content: { by: "other" } }); // another connection
          await storeSectionResult(tx, { leadId: f.leadId, sectionId, content: { by: "me" } });
        },
        { isolationLevel: "repeatable read" },
      ),
    );
    assertError(err, LeadstoreError, "40001", /could not serialize access/);
  });

  test("a value PostgreSQL cannot parse (22007 for a malformed interval)", async () => {
    assertError(
      await rejection(beginDeepScan(db, { leadId: f.leadId, staleAfter: "soon" })),
      LeadstoreError,
      "22007",
      /invalid input syntax for type interval/,
    );
  });

  test("a call in an aborted transaction (25P02)", async () => {
    const err = await rejection(
      db.transaction(async (tx) => {
        await rejection(selectCms(tx, { leadId: f.leadId, cmsId: f.frameworkId }));
        await selectCms(tx, { leadId: f.leadId, cmsId: f.cmsId });
      }),
    );
    assertError(err, LeadstoreError, "25P02", /current transaction is aborted/);
  });
});

describe("no parameter values in errors", () => {
  test("chunk texts, content, sources and agent name never reach message, String(), stack or inspect()", async () => {
    const secret = marker();
    const args = {
      content: { note: secret },
      sources: [secret],
      chunks: [`chunk with ${secret}`, "second"],
      agentName: `agent-${secret}`,
    };
    const failing: Array<[() => Promise<unknown>, abstract new (...a: never[]) => LeadstoreError]> = [
      [() => storeSectionResult(db, { leadId: uid("missing"), sectionId: "s", ...args, embeddings: [[1], [2]] }), LeadNotFoundError],
      [() => storeSectionResult(db, { leadId: f.leadId, sectionId: "s", ...args, confidence: 500, embeddings: [[1], [2]] }), InvalidArgumentError],
      [() => storeSectionResult(db, { leadId: f.leadId, sectionId: "s", ...args, embeddings: [[1, 2, 3]] }), InvalidArgumentError],
      [() => storeSectionResult(db, { leadId: f.leadId, sectionId: "s", ...args, embeddings: [[NaN], [2]] }), InvalidArgumentError],
    ];
    for (const [call, Cls] of failing) {
      const err = await rejection(call);
      assert.ok(err instanceof Cls, String(err));
      await assertNoLeak(err, secret);
    }
  });

  test("Drizzle's own error does carry the parameters (why the client unwraps it)", async () => {
    const secret = marker();
    const raw = await rejection(
      db.execute(
        sql`select * from leadstore.store_section_result(lead_id => ${uid("missing")}, section_id => 's',
              content => '{}'::jsonb, chunks => ${sql.param([secret])}::text[],
              embeddings_packed => ${Buffer.alloc(4)})`,
      ),
    );
    assert.ok(raw instanceof DrizzleQueryError);
    assert.ok(raw.message.includes(secret), "Drizzle's message lists the parameters");
    const mapped = toLeadstoreError(raw);
    assertError(mapped, LeadNotFoundError, "P0002");
    await assertNoLeak(mapped, secret);
  });

  test("toLeadstoreError: a driver error without SQLSTATE comes back unwrapped; others unchanged", async () => {
    const secret = marker();
    const driverError = new Error("Connection terminated unexpectedly");
    const wrapped = new DrizzleQueryError("select * from leadstore.select_cms(lead_id => $1)", [secret], driverError);
    assert.equal(toLeadstoreError(wrapped), driverError);
    const plain = new TypeError("x");
    assert.equal(toLeadstoreError(plain), plain);
    const appError = new Error("step failed", { cause: driverError });
    assert.equal(toLeadstoreError(appError), appError, "only Drizzle's wrapper is unwrapped");
    const noCause = toLeadstoreError(new DrizzleQueryError("q", [secret]));
    assert.ok(noCause instanceof Error);
    assert.ok(!(noCause instanceof DrizzleQueryError));
    await assertNoLeak(noCause, secret);
    const already = new LockNotAvailableError({ code: "55P03", message: "m" });
    assert.equal(toLeadstoreError(already), already);
  });
});
