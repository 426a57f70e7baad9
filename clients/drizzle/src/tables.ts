/**
 * tables.ts -- the leadstore data model as Drizzle ORM (pg-core) tables, and
 * the leadstore settings that match them.
 *
 * The data model has logical names (leads, lead_section_data, lead_id, ...).
 * An application's tables may have other names: leadstore finds them through
 * the settings leadstore.data_schema, leadstore.table_names and
 * leadstore.column_names.  One mapping object describes both sides:
 *
 *   const mapping = { tableNames: { leads: "pitches" },
 *                     columnNames: { lead_section_data: { lead_id: "pitch_id" } } };
 *   const t = leadstoreTables(mapping);   // Drizzle tables, SQL names from mapping
 *   leadstoreSettings(mapping);           // { "leadstore.table_names": "leads=pitches", ... }
 *
 * The tables' JavaScript property names are always the logical ones in
 * camelCase (t.leads.rfpId, t.leadSectionData.leadId); their SQL names are
 * the actual ones.
 */
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgSchema,
  pgTable,
  type PgColumn,
  real,
  text,
  timestamp,
  unique,
} from "drizzle-orm/pg-core";

/* ------------------------------------------------------------------------
 * Logical names
 * --------------------------------------------------------------------- */

/** The logical tables and their logical columns, in the data model's order. */
export const LOGICAL_COLUMNS = {
  business_units: ["id", "name", "created_at", "updated_at"],
  technologies: ["id", "name", "business_unit_id", "category", "is_default", "created_at", "updated_at"],
  rfps: ["id", "title", "created_at"],
  leads: [
    "id",
    "rfp_id",
    "business_unit_id",
    "customer_name",
    "deep_scan_status",
    "deep_scan_started_at",
    "deep_scan_completed_at",
    "deep_scan_error",
    "selected_cms_id",
    "created_at",
    "updated_at",
  ],
  lead_section_data: ["id", "lead_id", "section_id", "content", "confidence", "sources", "created_at", "updated_at"],
  rfp_embeddings: [
    "id",
    "rfp_id",
    "lead_id",
    "section_id",
    "agent_name",
    "chunk_type",
    "chunk_index",
    "content",
    "metadata",
    "embedding",
    "created_at",
  ],
} as const;

/** A logical table name of the data model. */
export type LogicalTable = keyof typeof LOGICAL_COLUMNS;

/** A logical column name of logical table T. */
export type LogicalColumn<T extends LogicalTable> = (typeof LOGICAL_COLUMNS)[T][number];

/**
 * Where the application's data-model tables are and what they are called.
 * Every part is optional; what is not given keeps its logical name.
 */
export interface LeadstoreMapping {
  /** Schema of the tables (leadstore.data_schema); default "public". Used verbatim (case-sensitive). */
  schema?: string;
  /** Actual table names by logical name, e.g. { leads: "pitches" }. Used verbatim (case-sensitive). */
  tableNames?: { readonly [T in LogicalTable]?: string };
  /**
   * Actual column names by logical table and logical column, e.g.
   * { leads: { rfp_id: "pre_qualification_id" } }. Used verbatim (case-sensitive).
   */
  columnNames?: { readonly [T in LogicalTable]?: { readonly [C in LogicalColumn<T>]?: string } };
}

/** Options of {@link leadstoreTables}: the mapping plus how some columns are declared. */
export interface LeadstoreTablesOptions extends LeadstoreMapping {
  /**
   * Declare the timestamp columns as `timestamp with time zone` (true, the
   * data model's choice) or `timestamp without time zone` holding UTC
   * (false; what Drizzle's plain `timestamp()` gives).  Default true.
   */
  withTimezone?: boolean;
  /**
   * Declare leads.deep_scan_error, the data model's optional column (the
   * error text of a failed run, written by finishDeepScan).  Default true,
   * as the reference script creates it; false for a leads table without it.
   */
  deepScanError?: boolean;
}

/** The JSON leadstore stores in lead_section_data.sources: any JSON array or object. */
export type SectionSources = unknown[] | { [key: string]: unknown };

function checkMapping(mapping: LeadstoreMapping): void {
  const nonEmpty = (what: string, v: unknown) => {
    if (typeof v !== "string" || v.length === 0) throw new TypeError(`${what} must be a non-empty string`);
    if (v.includes("\0")) throw new TypeError(`${what} must not contain a NUL character`);
  };
  if (mapping.schema !== undefined) nonEmpty("schema", mapping.schema);
  for (const [t, actual] of Object.entries(mapping.tableNames ?? {})) {
    if (!(t in LOGICAL_COLUMNS)) throw new TypeError(`tableNames: "${t}" is not a logical table of the data model`);
    if (actual !== undefined) nonEmpty(`tableNames.${t}`, actual);
  }
  for (const [t, cols] of Object.entries(mapping.columnNames ?? {})) {
    if (!(t in LOGICAL_COLUMNS)) throw new TypeError(`columnNames: "${t}" is not a logical table of the data model`);
    const known: readonly string[] = LOGICAL_COLUMNS[t as LogicalTable];
    for (const [c, actual] of Object.entries(cols ?? {})) {
      if (!known.includes(c)) throw new TypeError(`columnNames: "${t}.${c}" is not a logical column of the data model`);
      if (actual !== undefined) nonEmpty(`columnNames.${t}.${c}`, actual);
    }
  }
}

/** The actual name of a logical table. */
function tableName(mapping: LeadstoreMapping, t: LogicalTable): string {
  return mapping.tableNames?.[t] ?? t;
}

/** The actual name of a logical column. */
function columnName<T extends LogicalTable>(mapping: LeadstoreMapping, t: T, c: LogicalColumn<T>): string {
  const cols = mapping.columnNames?.[t] as { readonly [k: string]: string | undefined } | undefined;
  return cols?.[c] ?? c;
}

/* ------------------------------------------------------------------------
 * Settings
 * --------------------------------------------------------------------- */

/**
 * A name as leadstore's list settings read it (identifier rules as in
 * search_path: unquoted names are folded to lower case): left bare when
 * that reads back unchanged, otherwise double-quoted.
 */
export function settingIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * Columns of the data model that leadstore never uses and that
 * leadstore.column_names does not accept: a mapping of them shapes the
 * Drizzle tables only.
 */
const NOT_A_SETTING_COLUMN: ReadonlySet<string> = new Set(["rfps.title"]);

/** The leadstore settings for a mapping, by setting name. */
export interface LeadstoreSettings {
  "leadstore.data_schema": string;
  "leadstore.table_names": string;
  "leadstore.column_names": string;
}

/**
 * The values of leadstore.data_schema, leadstore.table_names and
 * leadstore.column_names that make the server use the tables
 * {@link leadstoreTables} declares for the same mapping.  Only names that
 * differ from the logical ones are listed (rfps.title, which leadstore never
 * reads, is left out); an empty string is the setting's default (nothing
 * mapped).
 *
 * Set them where the application's sessions get them: `ALTER DATABASE ...
 * SET`, `ALTER ROLE ... SET`, the connection's `options`
 * ({@link leadstoreConnectionOptions}), or `set_config(...)` in a session.
 */
export function leadstoreSettings(mapping: LeadstoreMapping = {}): LeadstoreSettings {
  checkMapping(mapping);
  const tables: string[] = [];
  const columns: string[] = [];
  for (const t of Object.keys(LOGICAL_COLUMNS) as LogicalTable[]) {
    const actualTable = tableName(mapping, t);
    if (actualTable !== t) tables.push(`${t}=${settingIdentifier(actualTable)}`);
    for (const c of LOGICAL_COLUMNS[t] as readonly LogicalColumn<typeof t>[]) {
      const actual = columnName(mapping, t, c);
      if (actual !== c && !NOT_A_SETTING_COLUMN.has(`${t}.${c}`))
        columns.push(`${t}.${c}=${settingIdentifier(actual)}`);
    }
  }
  return {
    "leadstore.data_schema": mapping.schema ?? "public",
    "leadstore.table_names": tables.join(", "),
    "leadstore.column_names": columns.join(", "),
  };
}

/**
 * The settings of {@link leadstoreSettings} as a libpq `options` string
 * (`-c name=value ...`, spaces and backslashes escaped), for node-postgres:
 * `new Pool({ connectionString, options: leadstoreConnectionOptions(mapping) })`.
 * Settings that keep their default are left out.
 */
export function leadstoreConnectionOptions(mapping: LeadstoreMapping = {}): string {
  const s = leadstoreSettings(mapping);
  const parts: string[] = [];
  for (const [name, value] of Object.entries(s)) {
    if (value === "" || (name === "leadstore.data_schema" && value === "public")) continue;
    parts.push(`-c ${name}=${value.replace(/[\\ ]/g, (ch: string) => `\\${ch}`)}`);
  }
  return parts.join(" ");
}

/* ------------------------------------------------------------------------
 * Tables
 * --------------------------------------------------------------------- */

function buildTables<E extends boolean>(options: LeadstoreTablesOptions, withError: E) {
  checkMapping(options);
  const m = options;
  const withTimezone = options.withTimezone ?? true;
  const schema = options.schema === undefined || options.schema === "public" ? undefined : pgSchema(options.schema);
  const table = (schema ? schema.table.bind(schema) : pgTable) as typeof pgTable;
  const ts = (name: string) => timestamp(name, { withTimezone, mode: "date" });

  // helpers naming SQL objects from actual names, PostgreSQL's way
  const bu = tableName(m, "business_units");
  const te = tableName(m, "technologies");
  const rf = tableName(m, "rfps");
  const le = tableName(m, "leads");
  const ls = tableName(m, "lead_section_data");
  const re = tableName(m, "rfp_embeddings");
  const c = <T extends LogicalTable>(t: T, col: LogicalColumn<T>) => columnName(m, t, col);
  const pgName = (...parts: string[]) => parts.join("_").slice(0, 63);

  const businessUnits = table(bu, {
    id: text(c("business_units", "id")).primaryKey(),
    name: text(c("business_units", "name")).notNull(),
    createdAt: ts(c("business_units", "created_at")).notNull().defaultNow(),
    updatedAt: ts(c("business_units", "updated_at")).notNull().defaultNow(),
  });

  const technologies = table(
    te,
    {
      id: text(c("technologies", "id")).primaryKey(),
      name: text(c("technologies", "name")).notNull(),
      businessUnitId: text(c("technologies", "business_unit_id")).notNull(),
      /** 'CMS', 'Framework', ...; exactly 'CMS' counts as a CMS */
      category: text(c("technologies", "category")),
      isDefault: boolean(c("technologies", "is_default")).notNull().default(false),
      createdAt: ts(c("technologies", "created_at")).notNull().defaultNow(),
      updatedAt: ts(c("technologies", "updated_at")).notNull().defaultNow(),
    },
    (t) => [
      foreignKey({
        name: pgName(te, c("technologies", "business_unit_id"), "fkey"),
        columns: [t.businessUnitId],
        foreignColumns: [businessUnits.id],
      }),
      index(pgName(te, c("technologies", "business_unit_id"), "idx")).on(t.businessUnitId),
    ],
  );

  const rfps = table(rf, {
    id: text(c("rfps", "id")).primaryKey(),
    title: text(c("rfps", "title")),
    createdAt: ts(c("rfps", "created_at")).notNull().defaultNow(),
  });

  const leadsColumns = {
    id: text(c("leads", "id")).primaryKey(),
    rfpId: text(c("leads", "rfp_id")).notNull(),
    businessUnitId: text(c("leads", "business_unit_id")).notNull(),
    customerName: text(c("leads", "customer_name")).notNull(),
    deepScanStatus: text(c("leads", "deep_scan_status"), {
      enum: ["pending", "running", "completed", "failed"],
    })
      .notNull()
      .default("pending"),
    deepScanStartedAt: ts(c("leads", "deep_scan_started_at")),
    deepScanCompletedAt: ts(c("leads", "deep_scan_completed_at")),
  };
  const leadsTail = {
    selectedCmsId: text(c("leads", "selected_cms_id")),
    createdAt: ts(c("leads", "created_at")).notNull().defaultNow(),
    updatedAt: ts(c("leads", "updated_at")).notNull().defaultNow(),
  };
  const leadsExtra = (t: { [K in "deepScanStatus" | "rfpId" | "businessUnitId" | "selectedCmsId"]: PgColumn }) => [
    check(
      pgName(le, c("leads", "deep_scan_status"), "check"),
      sql`${t.deepScanStatus} IN ('pending', 'running', 'completed', 'failed')`,
    ),
    foreignKey({
      name: pgName(le, c("leads", "rfp_id"), "fkey"),
      columns: [t.rfpId],
      foreignColumns: [rfps.id],
    }),
    foreignKey({
      name: pgName(le, c("leads", "business_unit_id"), "fkey"),
      columns: [t.businessUnitId],
      foreignColumns: [businessUnits.id],
    }),
    foreignKey({
      name: pgName(le, c("leads", "selected_cms_id"), "fkey"),
      columns: [t.selectedCmsId],
      foreignColumns: [technologies.id],
    }).onDelete("set null"),
    index(pgName(le, c("leads", "rfp_id"), "idx")).on(t.rfpId),
    index(pgName(le, c("leads", "business_unit_id"), "idx")).on(t.businessUnitId),
  ];
  /** leads with the optional column deep_scan_error (the error text of a failed run) */
  const leadsWithError = () =>
    table(le, { ...leadsColumns, deepScanError: text(c("leads", "deep_scan_error")), ...leadsTail }, leadsExtra);
  const leadsWithoutError = () => table(le, { ...leadsColumns, ...leadsTail }, leadsExtra);
  const leads = (withError ? leadsWithError() : leadsWithoutError()) as E extends true
    ? ReturnType<typeof leadsWithError>
    : ReturnType<typeof leadsWithoutError>;

  const leadSectionData = table(
    ls,
    {
      id: text(c("lead_section_data", "id")).primaryKey(),
      leadId: text(c("lead_section_data", "lead_id")).notNull(),
      sectionId: text(c("lead_section_data", "section_id")).notNull(),
      content: jsonb(c("lead_section_data", "content")).notNull(),
      /** 0..100 (leadstore rounds a fractional confidence half away from zero) */
      confidence: integer(c("lead_section_data", "confidence")),
      sources: jsonb(c("lead_section_data", "sources")).$type<SectionSources>(),
      createdAt: ts(c("lead_section_data", "created_at")).notNull(),
      updatedAt: ts(c("lead_section_data", "updated_at")).notNull(),
    },
    (t) => [
      check(
        pgName(ls, c("lead_section_data", "confidence"), "check"),
        sql`${t.confidence} BETWEEN 0 AND 100`,
      ),
      foreignKey({
        name: pgName(ls, c("lead_section_data", "lead_id"), "fkey"),
        columns: [t.leadId],
        foreignColumns: [leads.id],
      }).onDelete("cascade"),
      unique(pgName(ls, c("lead_section_data", "lead_id"), c("lead_section_data", "section_id"), "key")).on(
        t.leadId,
        t.sectionId,
      ),
    ],
  );

  const rfpEmbeddings = table(
    re,
    {
      id: text(c("rfp_embeddings", "id")).primaryKey(),
      rfpId: text(c("rfp_embeddings", "rfp_id")).notNull(),
      /** set for a lead's chunks (section chunks, and lead-level storeChunks) */
      leadId: text(c("rfp_embeddings", "lead_id")),
      /** set for a section's chunks only */
      sectionId: text(c("rfp_embeddings", "section_id")),
      agentName: text(c("rfp_embeddings", "agent_name")).notNull(),
      chunkType: text(c("rfp_embeddings", "chunk_type")).notNull(),
      /** 0..n-1 within one write */
      chunkIndex: integer(c("rfp_embeddings", "chunk_index")).notNull(),
      content: text(c("rfp_embeddings", "content")).notNull(),
      metadata: jsonb(c("rfp_embeddings", "metadata")),
      embedding: real(c("rfp_embeddings", "embedding")).array().notNull(),
      createdAt: ts(c("rfp_embeddings", "created_at")).notNull(),
    },
    (t) => [
      foreignKey({
        name: pgName(re, c("rfp_embeddings", "rfp_id"), "fkey"),
        columns: [t.rfpId],
        foreignColumns: [rfps.id],
      }).onDelete("cascade"),
      foreignKey({
        name: pgName(re, c("rfp_embeddings", "lead_id"), "fkey"),
        columns: [t.leadId],
        foreignColumns: [leads.id],
      }).onDelete("cascade"),
      index(pgName(re, c("rfp_embeddings", "lead_id"), c("rfp_embeddings", "section_id"), "idx")).on(
        t.leadId,
        t.sectionId,
      ),
      index(pgName(re, c("rfp_embeddings", "rfp_id"), c("rfp_embeddings", "chunk_type"), "idx")).on(
        t.rfpId,
        t.chunkType,
      ),
      index(pgName(re, c("rfp_embeddings", "rfp_id"), c("rfp_embeddings", "agent_name"), "idx")).on(
        t.rfpId,
        t.agentName,
      ),
    ],
  );

  return { businessUnits, technologies, rfps, leads, leadSectionData, rfpEmbeddings };
}

/** The tables {@link leadstoreTables} returns; leads has deepScanError unless E is false. */
export type LeadstoreTables<E extends boolean = true> = ReturnType<typeof buildTables<E>>;

/**
 * Drizzle pg-core tables of the leadstore data model (sql/leadstore_data_model.sql):
 * business_units, technologies, rfps, leads, lead_section_data, rfp_embeddings,
 * with their primary keys, foreign keys, unique key, CHECK constraints and
 * indexes.  SQL names (schema, tables, columns) come from the mapping;
 * constraint and index names follow PostgreSQL's defaults for the actual
 * names (for the reference model: exactly the script's).  The JavaScript
 * names are the logical ones in camelCase.
 *
 * leads.deep_scan_error, the data model's optional column, is declared
 * unless `deepScanError: false`.
 */
export function leadstoreTables(options: LeadstoreTablesOptions & { deepScanError: false }): LeadstoreTables<false>;
export function leadstoreTables(options?: LeadstoreTablesOptions & { deepScanError?: true }): LeadstoreTables<true>;
export function leadstoreTables(options?: LeadstoreTablesOptions): LeadstoreTables<boolean>;
export function leadstoreTables(options: LeadstoreTablesOptions = {}): LeadstoreTables<boolean> {
  return buildTables(options, options.deepScanError !== false);
}
