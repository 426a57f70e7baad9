// The table factory with the default names against the reference data model
// in the test database (columns, types, keys, constraints, indexes), and the
// settings helper: the strings it renders, and that the server takes them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "./support/test.js";

import { sql } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/pg-core";

import {
  LOGICAL_COLUMNS,
  leadstoreConnectionOptions,
  leadstoreSettings,
  leadstoreTables,
  settingIdentifier,
  type LeadstoreMapping,
} from "../src/tables.js";
import { assertTableMatchesCatalog } from "./support/catalog.js";
import { connect, type Db } from "./support/db.js";

let pool: ReturnType<typeof connect>["pool"];
let db: Db;

before(() => {
  ({ pool, db } = connect(2));
});

after(async () => {
  await pool.end();
});

/** An app-shaped mapping: renamed tables and key columns, one quoted name with a space and capitals. */
const appMapping = {
  schema: "App Schema",
  tableNames: {
    leads: "pitches",
    lead_section_data: "pitch_section_data",
    rfp_embeddings: "Deal Embeddings",
    rfps: "pre_qualifications",
  },
  columnNames: {
    leads: { rfp_id: "pre_qualification_id", deep_scan_error: "lastError" },
    lead_section_data: { lead_id: "pitch_id" },
    rfp_embeddings: { lead_id: "pitch_id", rfp_id: "pre_qualification_id", embedding: 'Vec"tor' },
    rfps: { title: "name" },
  },
} as const satisfies LeadstoreMapping;

describe("leadstoreTables() with the default names", () => {
  const t = leadstoreTables();

  test("every table matches the reference data model in the database, name for name", async () => {
    for (const table of Object.values(t)) await assertTableMatchesCatalog(db, table);
  });

  test("JavaScript names are the logical ones in camelCase; SQL names the logical ones", () => {
    assert.deepEqual(Object.keys(t), ["businessUnits", "technologies", "rfps", "leads", "leadSectionData", "rfpEmbeddings"]);
    assert.equal(getTableConfig(t.leadSectionData).name, "lead_section_data");
    assert.equal(getTableConfig(t.leadSectionData).schema, undefined);
    assert.equal(t.leads.deepScanError.name, "deep_scan_error");
    assert.equal(t.rfpEmbeddings.chunkIndex.name, "chunk_index");
    for (const [logical, table] of [
      ["business_units", t.businessUnits],
      ["technologies", t.technologies],
      ["rfps", t.rfps],
      ["leads", t.leads],
      ["lead_section_data", t.leadSectionData],
      ["rfp_embeddings", t.rfpEmbeddings],
    ] as const)
      assert.deepEqual(
        getTableConfig(table).columns.map((c) => c.name),
        [...LOGICAL_COLUMNS[logical]],
        logical,
      );
  });

  test("deepScanError: false leaves the optional column out", () => {
    const without = leadstoreTables({ deepScanError: false });
    assert.equal("deepScanError" in without.leads, false);
    assert.ok(!getTableConfig(without.leads).columns.some((c) => c.name === "deep_scan_error"));
    // @ts-expect-error -- the column is not declared
    void without.leads.deepScanError;
  });

  test("withTimezone: false declares timestamp without time zone", () => {
    const plain = leadstoreTables({ withTimezone: false });
    assert.equal(plain.leads.deepScanStartedAt.getSQLType(), "timestamp");
    assert.equal(t.leads.deepScanStartedAt.getSQLType(), "timestamp with time zone");
  });

  test("a mapping renames the SQL names only", () => {
    const m = leadstoreTables(appMapping);
    assert.equal(getTableConfig(m.leads).name, "pitches");
    assert.equal(getTableConfig(m.leads).schema, "App Schema");
    assert.equal(m.leads.rfpId.name, "pre_qualification_id");
    assert.equal(m.leads.deepScanError.name, "lastError");
    assert.equal(m.rfpEmbeddings.embedding.name, 'Vec"tor');
    assert.equal(getTableConfig(m.rfpEmbeddings).name, "Deal Embeddings");
    assert.equal(m.technologies.category.name, "category", "unmapped names stay logical");
    const fk = getTableConfig(m.leadSectionData).foreignKeys[0]!;
    assert.equal(fk.getName(), "pitch_section_data_pitch_id_fkey");
    assert.equal(getTableConfig(fk.reference().foreignTable).name, "pitches");
    // the SQL Drizzle writes uses the actual names
    const q = db.select({ id: m.leads.id }).from(m.leads).where(sql`${m.leads.rfpId} = 'x'`).toSQL();
    assert.equal(q.sql, `select "id" from "App Schema"."pitches" where "App Schema"."pitches"."pre_qualification_id" = 'x'`);
  });

  test("schema 'public' is the same as no schema", () => {
    assert.equal(getTableConfig(leadstoreTables({ schema: "public" }).leads).schema, undefined);
  });

  test("an unknown logical table or column, or an empty name, is a TypeError", () => {
    assert.throws(() => leadstoreTables({ tableNames: { lead: "x" } as never }), /"lead" is not a logical table/);
    assert.throws(
      () => leadstoreTables({ columnNames: { leads: { rfpId: "x" } } as never }),
      /"leads.rfpId" is not a logical column/,
    );
    assert.throws(() => leadstoreTables({ tableNames: { leads: "" } }), /non-empty/);
    assert.throws(() => leadstoreSettings({ schema: "" }), /non-empty/);
  });
});

describe("leadstoreSettings / leadstoreConnectionOptions", () => {
  test("no mapping: the defaults", () => {
    assert.deepEqual(leadstoreSettings(), {
      "leadstore.data_schema": "public",
      "leadstore.table_names": "",
      "leadstore.column_names": "",
    });
    assert.equal(leadstoreConnectionOptions(), "");
  });

  test("a mapping: only what differs, quoted where the name needs it; rfps.title left out", () => {
    assert.deepEqual(leadstoreSettings(appMapping), {
      "leadstore.data_schema": "App Schema",
      "leadstore.table_names":
        'rfps=pre_qualifications, leads=pitches, lead_section_data=pitch_section_data, rfp_embeddings="Deal Embeddings"',
      "leadstore.column_names":
        'leads.rfp_id=pre_qualification_id, leads.deep_scan_error="lastError", lead_section_data.lead_id=pitch_id, ' +
        'rfp_embeddings.rfp_id=pre_qualification_id, rfp_embeddings.lead_id=pitch_id, rfp_embeddings.embedding="Vec""tor"',
    });
  });

  test("settingIdentifier quotes what folding would change", () => {
    assert.equal(settingIdentifier("pitches"), "pitches");
    assert.equal(settingIdentifier("_x1$"), "_x1$");
    assert.equal(settingIdentifier("Pitches"), '"Pitches"');
    assert.equal(settingIdentifier("a b"), '"a b"');
    assert.equal(settingIdentifier("1st"), '"1st"');
    assert.equal(settingIdentifier('q"q'), '"q""q"');
    assert.equal(settingIdentifier("täble"), '"täble"');
  });

  test("connection options: -c pairs with spaces and backslashes escaped", () => {
    assert.equal(
      leadstoreConnectionOptions({ schema: "a\\b c", tableNames: { leads: "pitches" } }),
      "-c leadstore.data_schema=a\\\\b\\ c -c leadstore.table_names=leads=pitches",
    );
  });

  test("the server takes the rendered settings: check_data_model() names the mapped tables and columns", async () => {
    const s = leadstoreSettings(appMapping);
    let rows: Record<string, unknown>[] = [];
    await db
      .transaction(async (tx) => {
        for (const [name, value] of Object.entries(s)) await tx.execute(sql`select set_config(${name}, ${value}, true)`);
        rows = (await tx.execute(sql`select logical_name, actual_name, status from leadstore.check_data_model()`)).rows;
        tx.rollback();
      })
      .catch(() => undefined);
    const actual = (logical: string) => rows.find((r) => r.logical_name === logical)?.actual_name;
    // (the schema does not exist here: the names are what counts, written
    // as SQL writes them, quoted where they need it)
    assert.equal(actual("leads"), '"App Schema".pitches');
    assert.equal(actual("rfp_embeddings"), '"App Schema"."Deal Embeddings"');
    assert.equal(actual("lead_section_data.lead_id"), "pitch_section_data.pitch_id");
    assert.equal(actual("leads.rfp_id"), "pitches.pre_qualification_id");
    assert.equal(actual("rfp_embeddings.embedding"), '"Deal Embeddings"."Vec""tor"');
    assert.equal(actual("leads.deep_scan_error"), 'pitches."lastError"');
  });

  test("a malformed setting is refused by the server at SET time (22023)", async () => {
    await assert.rejects(
      db.execute(sql`select set_config('leadstore.column_names', 'leads.no_such_column=x', false)`),
      (e: unknown) => (e as { cause?: { code?: string } }).cause?.code === "22023",
    );
  });
});
