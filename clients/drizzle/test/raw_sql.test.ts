// Every function called with plain Drizzle SQL, as an application that does
// not use the client module would: db.execute(sql`select * from
// leadstore.fn(name => ${value}, ...)`).  Also what the client module sends.
import assert from "node:assert/strict";
import { after, before, describe, test } from "./support/test.js";

import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";

import {
  beginDeepScan,
  finishDeepScan,
  LeadNotFoundError,
  packEmbeddings,
  storeChunks,
  storeSectionResult,
  toLeadstoreError,
} from "../src/leadstore.js";
import { rejection } from "./support/assert.js";
import {
  connect,
  createFixture,
  dropFixture,
  float32BitsBE,
  makeEmbedding,
  readChunks,
  readSection,
  uid,
  type Db,
  type Fixture,
} from "./support/db.js";

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

/** little-endian float32, row-major: the embeddings_packed format */
function pack(rows: Float32Array[]): Buffer {
  return Buffer.concat(rows.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
}

describe("raw db.execute(sql`...`)", () => {
  test("store_section_result with embeddings_packed (a Buffer: sent in binary)", async () => {
    const embs = [makeEmbedding(3072, 11), makeEmbedding(3072, 12)];
    const chunks = ["first", "second"];
    const res = await db.execute(sql`
      select * from leadstore.store_section_result(
        lead_id => ${f.leadId},
        section_id => ${"overview"},
        content => ${JSON.stringify({ summary: "raw" })}::jsonb,
        confidence => ${90},
        sources => ${JSON.stringify(["rfp.pdf"])}::jsonb,
        chunks => ${sql.param(chunks)}::text[],
        embeddings_packed => ${pack(embs)})`);
    assert.equal(res.rows.length, 1);
    const row = res.rows[0]!;
    assert.equal(typeof row.section_row_id, "string");
    assert.deepEqual(
      { ...row, section_row_id: "x" },
      { section_row_id: "x", rfp_id: f.rfpId, created: true, chunks_written: 2, chunks_replaced: 0 },
    );
    const stored = await readChunks(db, f.leadId, "overview");
    assert.deepEqual(
      stored.map((c) => c.content),
      chunks,
    );
    stored.forEach((c, i) => assert.ok(c.bits.equals(float32BitsBE(embs[i]!))));
    assert.deepEqual((await readSection(db, f.leadId, "overview"))?.content, { summary: "raw" });
  });

  test("store_section_result with embeddings real[] (text form) stores the same values, but -0 becomes 0", async () => {
    const embs = [makeEmbedding(256, 21), makeEmbedding(256, 22)];
    const res = await db.execute(sql`
      select * from leadstore.store_section_result(
        lead_id => ${f.leadId}, section_id => ${"technology"},
        content => ${JSON.stringify({})}::jsonb,
        chunks => ${sql.param(["a", "b"])}::text[],
        embeddings => ${sql.param(embs.map((e) => Array.from(e)))}::real[])`);
    assert.equal(res.rows[0]!.chunks_written, 2);
    const stored = await readChunks(db, f.leadId, "technology");
    // node-postgres prints numbers with String(), which drops the sign of -0
    // ("0"); every other float32 survives the decimal round trip.  The
    // packed form keeps -0 (store_section.test.ts).
    assert.ok(embs[0]!.some((v) => Object.is(v, -0)), "the test data has a -0");
    stored.forEach((c, i) => {
      assert.ok(!c.bits.equals(float32BitsBE(embs[i]!)), `row ${i} lost its -0`);
      assert.ok(c.bits.equals(float32BitsBE(embs[i]!.map((v) => (v === 0 ? 0 : v)))), `row ${i}`);
    });
  });

  test("a JS array without sql.param is expanded into a parameter list and fails", async () => {
    const err = await db
      .execute(
        sql`select * from leadstore.store_section_result(lead_id => ${f.leadId}, section_id => 'x',
              content => '{}'::jsonb, chunks => ${["a", "b"]})`,
      )
      .then(() => undefined, (e: unknown) => toLeadstoreError(e));
    assert.ok(err instanceof Error);
    assert.equal((err as { code?: string }).code, "42883"); // no function matches a record argument
  });

  test("select_cms, select_cms_if, clear_cms_selection, select_default_cms", async () => {
    const sel = await db.execute(
      sql`select * from leadstore.select_cms(lead_id => ${f.leadId}, cms_id => ${f.cmsId}, nowait => ${true})`,
    );
    assert.deepEqual(sel.rows, [{ lead_id: f.leadId, previous_cms_id: null, selected_cms_id: f.cmsId, changed: true }]);

    const cas = await db.execute(sql`
      select * from leadstore.select_cms_if(lead_id => ${f.leadId}, expected_cms_id => ${f.cmsId},
                                            cms_id => ${f.cms2Id})`);
    assert.deepEqual(cas.rows, [{ lead_id: f.leadId, previous_cms_id: f.cmsId, selected_cms_id: f.cms2Id, changed: true }]);

    const stale = await db.execute(sql`
      select * from leadstore.select_cms_if(lead_id => ${f.leadId}, expected_cms_id => ${null}, cms_id => ${f.cmsId})`);
    assert.deepEqual(stale.rows, [{ lead_id: f.leadId, previous_cms_id: f.cms2Id, selected_cms_id: f.cms2Id, changed: false }]);

    const clr = await db.execute(sql`select * from leadstore.clear_cms_selection(lead_id => ${f.leadId})`);
    assert.deepEqual(clr.rows, [{ lead_id: f.leadId, previous_cms_id: f.cms2Id, selected_cms_id: null, changed: true }]);

    const def = await db.execute(
      sql`select * from leadstore.select_default_cms(lead_id => ${f.leadId}, nowait => ${false})`,
    );
    assert.deepEqual(def.rows, [
      { lead_id: f.leadId, previous_cms_id: null, selected_cms_id: f.defaultCmsId, changed: true },
    ]);
  });

  test("begin_deep_scan and finish_deep_scan (timestamps come back as text through Drizzle)", async () => {
    const begun = await db.execute(
      sql`select * from leadstore.begin_deep_scan(lead_id => ${f.otherLeadId}, stale_after => ${"5 minutes"}::interval)`,
    );
    const b = begun.rows[0]!;
    assert.equal(b.status, "running");
    assert.equal(b.transitioned, true);
    assert.equal(b.completed_at, null);
    assert.equal(typeof b.started_at, "string", "Drizzle's node-postgres session turns Date parsing off");
    await db.execute(sql`
      select * from leadstore.store_section_result(lead_id => ${f.otherLeadId}, section_id => ${"risks"},
                                                   content => ${JSON.stringify({ ok: 1 })}::jsonb)`);
    const fin = await db.execute(sql`select * from leadstore.finish_deep_scan(lead_id => ${f.otherLeadId})`);
    const r = fin.rows[0]!;
    assert.equal(r.status, "completed");
    assert.equal(r.sections_stored, 1);
    assert.equal(r.transitioned, true);
    assert.equal(r.started_at, b.started_at);
    assert.equal(typeof r.completed_at, "string");
  });

  test("store_chunks with embeddings_packed, and finish_deep_scan with the run token as text", async () => {
    const packed = packEmbeddings([makeEmbedding(4, 1), makeEmbedding(4, 2)])!;
    const stored = await db.execute(sql`
      select * from leadstore.store_chunks(rfp_id => null, lead_id => ${f.otherLeadId},
                                           agent_name => ${"references"},
                                           chunks => ${sql.param(["r0", "r1"])}::text[],
                                           metadata => ${JSON.stringify({ kind: "reference" })}::jsonb,
                                           embeddings_packed => ${packed})`);
    assert.deepEqual(stored.rows[0], { rfp_id: f.rfpId, lead_id: f.otherLeadId, chunks_written: 2, chunks_replaced: 0 });

    const begun = await db.execute(sql`select * from leadstore.begin_deep_scan(lead_id => ${f.otherLeadId}, stale_after => '0'::interval)`);
    const token = begun.rows[0]!.started_at as string; // the text the server sent: pass it back as is
    const fin = await db.execute(sql`
      select * from leadstore.finish_deep_scan(lead_id => ${f.otherLeadId}, started_at => ${token}::timestamptz,
                                               outcome => ${"failed"}, error => ${"raw error"})`);
    assert.equal(fin.rows[0]!.status, "failed");
    const again = await rejection(
      db.execute(sql`select * from leadstore.finish_deep_scan(lead_id => ${f.otherLeadId}, started_at => ${token}::timestamptz)`),
    );
    assert.equal((toLeadstoreError(again) as { code?: string }).code, "55000");
  });

  test("toLeadstoreError maps a raw call's failure", async () => {
    const err = await db
      .execute(sql`select * from leadstore.finish_deep_scan(lead_id => ${uid("missing")})`)
      .then(() => undefined, (e: unknown) => toLeadstoreError(e));
    assert.ok(err instanceof LeadNotFoundError, String(err));
  });
});

describe("what the client module sends", () => {
  test("named notation, casts, and embeddings as one Buffer parameter (no float text)", async () => {
    const logged: Array<{ query: string; params: unknown[] }> = [];
    const logDb = drizzle({ client: pool, logger: { logQuery: (query, params) => logged.push({ query, params }) } });
    const emb = [makeEmbedding(3072, 5), makeEmbedding(3072, 6)];
    await storeSectionResult(logDb, {
      leadId: f.leadId,
      sectionId: "hosting",
      content: { a: 1 },
      confidence: 10,
      sources: ["x"],
      chunks: ["c1", "c2"],
      embeddings: emb,
    });
    assert.equal(logged.length, 1);
    const { query, params } = logged[0]!;
    assert.match(query, /^select \* from leadstore\.store_section_result\(lead_id => \$1::text, section_id => \$2::text, content => \$3::jsonb, /);
    assert.match(query, /chunks => \$\d+::text\[\]/);
    assert.match(query, /embeddings_packed => \$\d+::bytea\)$/);
    assert.doesNotMatch(query, /[^_]embeddings =>/, "the real[] form is not used");
    const buffers = params.filter((p) => Buffer.isBuffer(p)) as Buffer[];
    assert.equal(buffers.length, 1);
    assert.equal(buffers[0]!.length, 2 * 3072 * 4);
    assert.ok(buffers[0]!.equals(pack(emb)));
    assert.deepEqual(params[5], ["c1", "c2"], "chunks travel as one array parameter");
    assert.ok(!params.some((p) => typeof p === "string" && /\d\.\d+,/.test(p)), "no float text");
  });

  test("arguments left undefined are omitted, so the SQL defaults apply", async () => {
    const logged: string[] = [];
    const logDb = drizzle({ client: pool, logger: { logQuery: (query) => logged.push(query) } });
    await storeSectionResult(logDb, { leadId: f.leadId, sectionId: "minimal", content: {} });
    assert.equal(
      logged[0],
      "select * from leadstore.store_section_result(lead_id => $1::text, section_id => $2::text, content => $3::jsonb)",
    );
  });

  test("storeChunks and finishDeepScan: the exact SQL, the token and confidence as text", async () => {
    const logged: Array<{ query: string; params: unknown[] }> = [];
    const logDb = drizzle({ client: pool, logger: { logQuery: (query, params) => logged.push({ query, params }) } });
    await storeChunks(logDb, { rfpId: f.rfpId, agentName: "logged", chunks: ["a"], embeddings: [[1, 2]], metadata: { m: 1 } });
    assert.equal(
      logged[0]!.query,
      "select * from leadstore.store_chunks(rfp_id => $1::text, agent_name => $2::text, chunks => $3::text[], " +
        "lead_id => $4::text, metadata => $5::jsonb, embeddings_packed => $6::bytea)",
    );
    assert.deepEqual(logged[0]!.params.slice(0, 5), [f.rfpId, "logged", ["a"], null, '{"m":1}']);
    await storeChunks(logDb, { rfpId: f.rfpId, agentName: "logged", chunks: [] });

    const run = await beginDeepScan(logDb, { leadId: f.otherLeadId, staleAfter: 0 });
    logged.length = 0;
    await finishDeepScan(logDb, { leadId: f.otherLeadId, startedAt: run.runToken, outcome: "completed" });
    assert.equal(
      logged[0]!.query,
      "select * from leadstore.finish_deep_scan(lead_id => $1::text, started_at => $2::timestamptz, outcome => $3::text)",
    );
    assert.deepEqual(logged[0]!.params, [f.otherLeadId, run.runToken, "completed"]);

    logged.length = 0;
    await storeSectionResult(logDb, { leadId: f.leadId, sectionId: "conf-text", content: {}, confidence: 8.571428571428571 });
    assert.match(logged[0]!.query, /confidence => \$4::numeric\)$/);
    assert.equal(logged[0]!.params[3], "8.571428571428571");
  });
});
