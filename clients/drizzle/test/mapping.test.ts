// An application's own tables: a schema with other table and column names
// (one with a space, capitals and a quote) and timestamp without time zone,
// declared by the table factory from one mapping object, configured on the
// server from the same object (leadstoreConnectionOptions in the pool's
// connection options), every call run against it, and the rows read back
// through the mapped Drizzle tables.
import assert from "node:assert/strict";
import { after, before, describe, test } from "./support/test.js";

import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";

import {
  beginDeepScan,
  clearCmsSelection,
  DataModelError,
  finishDeepScan,
  selectCms,
  selectCmsIf,
  selectDefaultCms,
  StaleRunError,
  storeChunks,
  storeSectionResult,
} from "../src/leadstore.js";
import { leadstoreConnectionOptions, leadstoreSettings, leadstoreTables, type LeadstoreMapping } from "../src/tables.js";
import { assertError, rejection } from "./support/assert.js";
import { assertTableMatchesCatalog } from "./support/catalog.js";
import { connect, makeEmbedding, pgConfig, uid, type Db } from "./support/db.js";

const schema = `App Schema ${process.pid}`;
const mapping = {
  schema,
  tableNames: {
    business_units: "org_units",
    technologies: "tech_stack",
    rfps: "pre_qualifications",
    leads: "pitches",
    lead_section_data: "pitch_section_data",
    rfp_embeddings: "Deal Embeddings",
  },
  columnNames: {
    technologies: { category: "kind", is_default: "isDefault" },
    leads: {
      rfp_id: "pre_qualification_id",
      deep_scan_status: "scan_status",
      deep_scan_started_at: "scan_started_at",
      deep_scan_completed_at: "scan_completed_at",
      deep_scan_error: "lastError",
      selected_cms_id: "cms_id",
    },
    lead_section_data: { lead_id: "pitch_id" },
    rfp_embeddings: { lead_id: "pitch_id", rfp_id: "pre_qualification_id", embedding: 'Vec"tor' },
  },
} as const satisfies LeadstoreMapping;

const t = leadstoreTables({ ...mapping, withTimezone: false });
type AppDb = NodePgDatabase<typeof t>;

/** The application's DDL, written by hand as an application would (PostgreSQL names the constraints). */
const ddl = (s: string) => `
  create schema ${s};
  create table ${s}.org_units (id text primary key, name text not null,
    created_at timestamp not null default now(), updated_at timestamp not null default now());
  create table ${s}.tech_stack (id text primary key, name text not null,
    business_unit_id text not null references ${s}.org_units (id), kind text,
    "isDefault" boolean not null default false,
    created_at timestamp not null default now(), updated_at timestamp not null default now());
  create index on ${s}.tech_stack (business_unit_id);
  create table ${s}.pre_qualifications (id text primary key, title text, created_at timestamp not null default now());
  create table ${s}.pitches (id text primary key,
    pre_qualification_id text not null references ${s}.pre_qualifications (id),
    business_unit_id text not null references ${s}.org_units (id),
    customer_name text not null,
    scan_status text not null default 'pending' check (scan_status in ('pending', 'running', 'completed', 'failed')),
    scan_started_at timestamp, scan_completed_at timestamp, "lastError" text,
    cms_id text references ${s}.tech_stack (id) on delete set null,
    created_at timestamp not null default now(), updated_at timestamp not null default now());
  create index on ${s}.pitches (pre_qualification_id);
  create index on ${s}.pitches (business_unit_id);
  create table ${s}.pitch_section_data (id text primary key,
    pitch_id text not null references ${s}.pitches (id) on delete cascade,
    section_id text not null, content jsonb not null,
    confidence integer check (confidence between 0 and 100), sources jsonb,
    created_at timestamp not null, updated_at timestamp not null,
    unique (pitch_id, section_id));
  create table ${s}."Deal Embeddings" (id text primary key,
    pre_qualification_id text not null references ${s}.pre_qualifications (id) on delete cascade,
    pitch_id text references ${s}.pitches (id) on delete cascade,
    section_id text, agent_name text not null, chunk_type text not null, chunk_index integer not null,
    content text not null, metadata jsonb, "Vec""tor" real[] not null, created_at timestamp not null);
  create index on ${s}."Deal Embeddings" (pitch_id, section_id);
  create index on ${s}."Deal Embeddings" (pre_qualification_id, chunk_type);
  create index on ${s}."Deal Embeddings" (pre_qualification_id, agent_name);`;

const quotedSchema = `"${schema}"`;

let admin: ReturnType<typeof connect>;
let appPool: pg.Pool;
let app: AppDb;

before(async () => {
  admin = connect(2);
  await admin.pool.query(ddl(quotedSchema));
  // the application's sessions: the mapping as connection options, and a TimeZone far from UTC
  appPool = new pg.Pool({ ...pgConfig(`${leadstoreConnectionOptions(mapping)} -c TimeZone=America/St_Johns`), max: 4 });
  app = drizzle({ client: appPool, schema: t });
});

after(async () => {
  await appPool?.end();
  await admin.pool.query(`drop schema if exists ${quotedSchema} cascade`);
  await admin.pool.end();
});

interface AppFixture {
  buId: string;
  rfpId: string;
  leadId: string;
  cmsId: string;
  defaultCmsId: string;
}

async function appFixture(): Promise<AppFixture> {
  const f = { buId: uid("bu"), rfpId: uid("rfp"), leadId: uid("pitch"), cmsId: uid("cms"), defaultCmsId: uid("cms-default") };
  await app.insert(t.businessUnits).values({ id: f.buId, name: "Digital Experience" });
  await app.insert(t.technologies).values([
    { id: f.cmsId, name: "Drupal", businessUnitId: f.buId, category: "CMS" },
    { id: f.defaultCmsId, name: "Sitecore", businessUnitId: f.buId, category: "CMS", isDefault: true },
  ]);
  await app.insert(t.rfps).values({ id: f.rfpId, title: "Relaunch" });
  await app.insert(t.leads).values({ id: f.leadId, rfpId: f.rfpId, businessUnitId: f.buId, customerName: "ACME AG" });
  return f;
}

const readLead = async (id: string) => (await app.select().from(t.leads).where(eq(t.leads.id, id)))[0]!;

/** The server's clock now, in epoch ms. */
async function serverNow(q: Db | AppDb): Promise<number> {
  const r = await q.execute(sql`select floor(extract(epoch from now()) * 1000)::int8::text as ms`);
  return Number(r.rows[0]!.ms);
}

describe("an application's own tables (mapped names, timestamp without time zone)", () => {
  test("the factory's tables match the application's DDL, name for name", async () => {
    for (const table of Object.values(t)) await assertTableMatchesCatalog(admin.db, table);
  });

  test("the sessions carry the settings; check_data_model() finds everything", async () => {
    const s = leadstoreSettings(mapping);
    const got = await app.execute(sql`
      select current_setting('leadstore.data_schema') as d, current_setting('leadstore.table_names') as t,
             current_setting('leadstore.column_names') as c`);
    assert.deepEqual(got.rows[0], {
      d: s["leadstore.data_schema"],
      t: s["leadstore.table_names"],
      c: s["leadstore.column_names"],
    });
    const rows = (await app.execute(sql`select logical_name, actual_name, status, detail from leadstore.check_data_model()`))
      .rows;
    assert.ok(rows.length > 30);
    const bad = rows.filter((r) => r.status !== "ok");
    assert.deepEqual(bad, [], "every table, column, key and index is ok");
  });

  test("every call works and its rows read back through the mapped Drizzle tables", async () => {
    const f = await appFixture();
    const before = await serverNow(app);

    // a section with embeddings, a fractional confidence and object sources
    const embeddings = [makeEmbedding(8, 1), makeEmbedding(8, 2)];
    const sources = { agentName: "technology-synthesizer", generatedAt: "2026-11-30T12:00:00Z", chunks: [1, 2] };
    const written = await storeSectionResult(app, {
      leadId: f.leadId,
      sectionId: "technology",
      content: { cms: ["Drupal"] },
      confidence: 72.5,
      sources,
      chunks: ["a", "b"],
      embeddings,
    });
    assert.equal(written.created, true);
    assert.equal(written.rfpId, f.rfpId);
    const [section] = await app.select().from(t.leadSectionData).where(eq(t.leadSectionData.leadId, f.leadId));
    assert.equal(section!.sectionId, "technology");
    assert.equal(section!.confidence, 73);
    assert.deepEqual(section!.sources, sources);
    assert.deepEqual(section!.content, { cms: ["Drupal"] });
    // timestamp without time zone holds UTC: Drizzle reads it as UTC, whatever the session's TimeZone
    assert.ok(Math.abs(section!.createdAt.getTime() - before) < 5_000, "created_at written as UTC");
    const sectionChunks = await app
      .select()
      .from(t.rfpEmbeddings)
      .where(and(eq(t.rfpEmbeddings.leadId, f.leadId), eq(t.rfpEmbeddings.sectionId, "technology")))
      .orderBy(asc(t.rfpEmbeddings.chunkIndex));
    assert.deepEqual(
      sectionChunks.map((c) => [c.chunkIndex, c.content, c.rfpId, c.agentName]),
      [
        [0, "a", f.rfpId, "deep-scan-technology"],
        [1, "b", f.rfpId, "deep-scan-technology"],
      ],
    );
    // real[] comes back as float4 text (shortest round-trip form): equal as float32
    sectionChunks.forEach((c, i) => assert.deepEqual(c.embedding.map(Math.fround), Array.from(embeddings[i]!)));

    // chunks of a sub-agent (lead-level) and of the RFP (no lead)
    const lead = await storeChunks(app, { leadId: f.leadId, agentName: "legal-check", chunks: ["l0", "l1", "l2"], embeddings: [[1], [2], [3]] });
    assert.deepEqual(lead, { rfpId: f.rfpId, leadId: f.leadId, chunksWritten: 3, chunksReplaced: 0 });
    const again = await storeChunks(app, { leadId: f.leadId, agentName: "legal-check", chunks: ["m0"], embeddings: [[4]], metadata: { v: 2 } });
    assert.equal(again.chunksReplaced, 3);
    const rfpLevel = await storeChunks(app, { rfpId: f.rfpId, agentName: "rfp-embedder", chunks: ["r0"], embeddings: [[5]] });
    assert.equal(rfpLevel.leadId, null);
    const legal = await app
      .select()
      .from(t.rfpEmbeddings)
      .where(and(eq(t.rfpEmbeddings.agentName, "legal-check"), isNull(t.rfpEmbeddings.sectionId)));
    assert.deepEqual(
      legal.map((c) => [c.leadId, c.rfpId, c.chunkIndex, c.content, c.metadata, c.embedding]),
      [[f.leadId, f.rfpId, 0, "m0", { v: 2 }, [4]]],
    );
    const rfpRows = await app.select().from(t.rfpEmbeddings).where(eq(t.rfpEmbeddings.agentName, "rfp-embedder"));
    assert.deepEqual(
      rfpRows.map((c) => [c.leadId, c.rfpId, c.content]),
      [[null, f.rfpId, "r0"]],
    );

    // CMS selection
    assert.equal((await selectDefaultCms(app, { leadId: f.leadId })).selectedCmsId, f.defaultCmsId);
    assert.equal((await readLead(f.leadId)).selectedCmsId, f.defaultCmsId);
    const cas = await selectCmsIf(app, { leadId: f.leadId, expectedCmsId: f.defaultCmsId, cmsId: f.cmsId });
    assert.equal(cas.changed, true);
    assert.equal((await selectCms(app, { leadId: f.leadId, cmsId: f.cmsId })).changed, false);
    assert.equal((await readLead(f.leadId)).selectedCmsId, f.cmsId);
    assert.equal((await clearCmsSelection(app, { leadId: f.leadId, nowait: true })).selectedCmsId, null);
    assert.equal((await readLead(f.leadId)).selectedCmsId, null);

    // a deep-scan run, its token, outcome and error
    const run = await beginDeepScan(app, { leadId: f.leadId });
    assert.equal(run.transitioned, true);
    let row = await readLead(f.leadId);
    assert.equal(row.deepScanStatus, "running");
    assert.equal(row.deepScanStartedAt?.getTime(), run.startedAt?.getTime(), "started_at written and read as UTC");
    assert.match(run.runToken!, /-0[23]:30$/, "the token carries the session's offset (St. John's)");
    const done = await finishDeepScan(app, { leadId: f.leadId, startedAt: run.runToken, outcome: "failed", error: "model timeout" });
    assert.equal(done.status, "failed");
    row = await readLead(f.leadId);
    assert.equal(row.deepScanStatus, "failed");
    assert.equal(row.deepScanError, "model timeout");
    assert.equal(row.deepScanCompletedAt?.getTime(), done.completedAt?.getTime());
    assertError(
      await rejection(finishDeepScan(app, { leadId: f.leadId, startedAt: run.runToken })),
      StaleRunError,
      "55000",
    );
  });

  test("errors name the application's table and column; the detail gives the logical name", async () => {
    const f = await appFixture();
    const s = leadstoreSettings(mapping);
    const err = assertError(
      await rejection(
        app.transaction(async (tx) => {
          await tx.execute(
            sql`select set_config('leadstore.column_names', ${`${s["leadstore.column_names"]}, lead_section_data.confidence=score`}, true)`,
          );
          await storeSectionResult(tx, { leadId: f.leadId, sectionId: "overview", content: {}, confidence: 5 });
        }),
      ),
      DataModelError,
      "42703",
    );
    assert.match(err.message, /score/);
    assert.match(err.message, /pitch_section_data/);
    assert.match(err.detail ?? "", /lead_section_data\.confidence/);
  });
});
