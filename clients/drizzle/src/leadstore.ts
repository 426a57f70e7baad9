/**
 * leadstore.ts -- a typed Drizzle ORM (node-postgres) client for the
 * leadstore PostgreSQL extension.
 *
 * One function per SQL function of the extension.  Each
 * takes a Drizzle database or transaction created with
 * `drizzle-orm/node-postgres` and a typed argument object, runs
 * `select * from leadstore.<function>(name => $n, ...)` in that database or
 * transaction, and returns the result row with camelCase fields.
 *
 * - Calls run in whatever the caller passes: `db` (one autocommit statement)
 *   or `tx` inside `db.transaction(...)` (the writes commit or roll back with
 *   the transaction, nested transactions are savepoints).
 * - Embeddings travel as `embeddings_packed bytea`: little-endian float32,
 *   row-major, n x d.  node-postgres sends a Buffer parameter in binary, so
 *   no float text is printed, sent or parsed.
 * - Errors raised by the server become LeadstoreError subclasses built only
 *   from the server's fields (code, message, detail, hint, ...): never the
 *   query or its parameters, which Drizzle's own error message contains.
 *
 * The module depends on drizzle-orm only.  Applications import it from the
 * package (@leadstore/drizzle), which also exports the data model's tables
 * (tables.ts).
 */
import { sql, type SQL } from "drizzle-orm";
import type { NodePgQueryResultHKT } from "drizzle-orm/node-postgres";
import type { PgDatabase } from "drizzle-orm/pg-core";

/* ------------------------------------------------------------------------
 * Types
 * --------------------------------------------------------------------- */

/**
 * A Drizzle database or transaction on the node-postgres driver: the value
 * of `drizzle(pool)` (or `drizzle(client)`), or the `tx` that
 * `db.transaction(async (tx) => ...)` hands its callback, at any nesting
 * depth.  The schema type does not matter.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LeadstoreDb = PgDatabase<NodePgQueryResultHKT, any, any>;

/**
 * Embeddings of a section's chunks, one row per chunk, all rows of the same
 * length d:
 * - `Float32Array[]`: one Float32Array per chunk (the fast path: its bytes
 *   are copied as they are);
 * - `number[][]`: one array of numbers per chunk, converted to float32
 *   (`Math.fround`) client-side, which is what the server stores anyway
 *   (`real[]`); a value outside the float32 range becomes Infinity, which
 *   the server rejects (InvalidArgumentError);
 * - one `Float32Array` of n x d values: the whole block, row-major (for one
 *   chunk simply its embedding).
 * Rows of different lengths raise a TypeError before anything is sent.
 */
export type EmbeddingsInput =
  | Float32Array
  | ReadonlyArray<Float32Array | ReadonlyArray<number>>;

/** Arguments of {@link storeSectionResult}. */
export interface StoreSectionResultArgs {
  leadId: string;
  /** e.g. "overview", "technology", "budget" */
  sectionId: string;
  /** Any JSON value; sent as JSON text with a ::jsonb cast.  null/undefined: SQL NULL (22004). */
  content: unknown;
  /**
   * 0..100; a fraction (8.571...) is rounded half away from zero by the
   * server, then checked (100.4 -> 100; 100.5, -0.5, NaN, Infinity -> 22023).
   */
  confidence?: number | null;
  /**
   * Any JSON array or object (e.g. ["rfp.pdf"] or { agentName, generatedAt,
   * chunks }), stored as given.  A JSON scalar is refused (22023).
   */
  sources?: readonly unknown[] | { readonly [key: string]: unknown } | null;
  /** Chunk texts, one per embedding row; none (or []) removes the section's old chunks. */
  chunks?: readonly string[] | null;
  /** One embedding per chunk; see {@link EmbeddingsInput}. */
  embeddings?: EmbeddingsInput | null;
  /** Server default: "analysis". */
  chunkType?: string | null;
  /** Server default: "deep-scan-" + sectionId. */
  agentName?: string | null;
}

/** leadstore.section_write */
export interface SectionWrite {
  /** id of the lead_section_data row (kept when the section is replaced) */
  sectionRowId: string;
  /** the lead's rfp_id, which the chunk rows got */
  rfpId: string;
  /** true: the section was inserted; false: an existing one was replaced */
  created: boolean;
  /** rfp_embeddings rows inserted */
  chunksWritten: number;
  /** rfp_embeddings rows of the section deleted first */
  chunksReplaced: number;
}

/** Arguments of {@link storeChunks}. */
export interface StoreChunksArgs {
  /**
   * The RFP the chunks belong to.  null/undefined: taken from the lead
   * (then leadId is required).  When both are given they must agree (22023).
   */
  rfpId?: string | null;
  /** The writer, e.g. "legal-check"; part of the key whose chunks are replaced. */
  agentName: string;
  /** The chunk texts; [] deletes the key's chunks.  null/undefined: 22004. */
  chunks: readonly string[] | null;
  /** One embedding per chunk; see {@link EmbeddingsInput}.  Required when there are chunks. */
  embeddings?: EmbeddingsInput | null;
  /** The lead, for a lead's chunks; null/undefined: RFP-level chunks (lead_id NULL). */
  leadId?: string | null;
  /** Server default: "analysis". */
  chunkType?: string | null;
  /** JSON stored in every chunk's metadata; null/undefined: {}. */
  metadata?: unknown;
}

/** leadstore.chunk_write */
export interface ChunkWrite {
  /** the RFP of the chunks (given, or the lead's) */
  rfpId: string;
  /** the lead, or null for RFP-level chunks */
  leadId: string | null;
  /** chunk rows inserted */
  chunksWritten: number;
  /** chunk rows of the same (rfp, lead, agent) key, without a section, deleted first */
  chunksReplaced: number;
}

/** Arguments of {@link selectCms}. */
export interface SelectCmsArgs {
  leadId: string;
  cmsId: string;
  /** true: raise LockNotAvailableError instead of waiting for a row lock */
  nowait?: boolean;
}

/** Arguments of {@link selectCmsIf}. */
export interface SelectCmsIfArgs {
  leadId: string;
  /** The selection the caller saw; null: "only when nothing is selected". */
  expectedCmsId: string | null;
  cmsId: string;
  nowait?: boolean;
}

/** Arguments of {@link clearCmsSelection} and {@link selectDefaultCms}. */
export interface LeadLockArgs {
  leadId: string;
  nowait?: boolean;
}

/** leadstore.cms_selection */
export interface CmsSelection {
  leadId: string;
  /** selected_cms_id before the call */
  previousCmsId: string | null;
  /** selected_cms_id after the call */
  selectedCmsId: string | null;
  /** true when the lead row was written */
  changed: boolean;
}

/** Arguments of {@link beginDeepScan}. */
export interface BeginDeepScanArgs {
  leadId: string;
  /**
   * A running scan older than this is considered abandoned and restarted.
   * A PostgreSQL interval ("30 minutes", "PT30M") or a number of
   * milliseconds.  Server default: 30 minutes.
   */
  staleAfter?: string | number;
}

/** Arguments of {@link finishDeepScan}. */
export interface FinishDeepScanArgs {
  leadId: string;
  /**
   * The run token: the `runToken` that {@link beginDeepScan} returned for
   * this run.  Always pass it back.  When the lead's current run is not this
   * run (a later runner took it over as stale, or it was finished already)
   * the call writes nothing and throws {@link StaleRunError} (55000).
   *
   * A string is sent as it is (cast to timestamptz by the server: exact to
   * the microsecond).  A Date (e.g. the result's `startedAt`) is sent as its
   * ISO text: milliseconds only, which the server accepts as well.
   * null/undefined: no check (the 0.1.0 behaviour; a late runner then
   * finishes its successor's run).
   */
  startedAt?: string | Date | null;
  /**
   * "completed" or "failed", stored as given.  null/undefined: "completed"
   * when at least one section was stored since the run started, else "failed".
   */
  outcome?: DeepScanOutcome | null;
  /**
   * Stored in leads.deep_scan_error (null clears it).  That column is
   * optional; a non-null error without it is a DataModelError (42703).
   */
  error?: string | null;
}

export type DeepScanOutcome = "completed" | "failed";

export type DeepScanStatus = "pending" | "running" | "completed" | "failed";

/** leadstore.deep_scan_run */
export interface DeepScanRun {
  leadId: string;
  status: DeepScanStatus;
  /** when the run started (milliseconds; the server keeps microseconds, see runToken) */
  startedAt: Date | null;
  /**
   * The run token: started_at exactly as the server sent it (text, with
   * microseconds and the UTC offset).  Pass it back to
   * {@link finishDeepScan} as `startedAt`.
   */
  runToken: string | null;
  completedAt: Date | null;
  /** the lead's sections stored (created or updated) since startedAt */
  sectionsStored: number;
  /** true when the call changed the lead's deep-scan state */
  transitioned: boolean;
}

/* ------------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */

/** The fields of a server error that a LeadstoreError keeps. */
export interface LeadstoreErrorFields {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  severity?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/**
 * An error raised by the server during a leadstore call.  `message` is the
 * server's message; `code` its SQLSTATE.  It never holds the query or its
 * parameters (no `cause`, no query text), so it is safe to log.
 * Errors without a more specific class (40001 serialization failure, 42501
 * insufficient privilege, 23xxx constraint violations, ...) are thrown as
 * LeadstoreError itself.
 */
export class LeadstoreError extends Error {
  /** SQLSTATE, e.g. "22023" */
  readonly code: string;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly severity: string | undefined;
  readonly schema: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly constraint: string | undefined;

  constructor(fields: LeadstoreErrorFields) {
    super(fields.message);
    this.name = new.target.name;
    this.code = fields.code;
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.severity = fields.severity;
    this.schema = fields.schema;
    this.table = fields.table;
    this.column = fields.column;
    this.constraint = fields.constraint;
  }
}

/** P0002: the lead or the technology does not exist (or RLS hides it). */
export class NotFoundError extends LeadstoreError {}
/** P0002 'lead "..." does not exist' */
export class LeadNotFoundError extends NotFoundError {}
/** P0002 'technology "..." does not exist' */
export class TechnologyNotFoundError extends NotFoundError {}
/** 22023 invalid_parameter_value, 22004 null_value_not_allowed */
export class InvalidArgumentError extends LeadstoreError {}
/** 22023: the technology is not a CMS, or not of the lead's business unit */
export class NotACmsOfBusinessUnitError extends InvalidArgumentError {}
/** 55P03 lock_not_available: nowait and the lead (or technology) row is locked */
export class LockNotAvailableError extends LeadstoreError {}
/** 55000 object_not_in_prerequisite_state: finishDeepScan on a lead not running */
export class NotRunningError extends LeadstoreError {}
/**
 * 55000 from finishDeepScan with a run token: the lead's current run is not
 * the caller's (taken over, or finished already).  Nothing was written; the
 * detail names the current run's status and started_at.
 */
export class StaleRunError extends NotRunningError {}
/**
 * 42P01 / 42703: a data-model table or column is missing or of the wrong
 * kind; 42804: a column's type cannot take what leadstore writes; 42P10: no
 * unique index on the section table's (lead_id, section_id).
 * leadstore.check_data_model() lists every problem with the SQL that fixes it.
 */
export class DataModelError extends LeadstoreError {}

function errorFields(e: LeadstoreError): LeadstoreErrorFields {
  return {
    code: e.code,
    message: e.message,
    detail: e.detail,
    hint: e.hint,
    severity: e.severity,
    schema: e.schema,
    table: e.table,
    column: e.column,
    constraint: e.constraint,
  };
}

/** The part of pg's DatabaseError that is read (duck-typed: pg may be duplicated). */
interface PgDatabaseErrorLike {
  code: string;
  message: string;
  severity?: string;
  detail?: string;
  hint?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

function isPgDatabaseError(e: unknown): e is PgDatabaseErrorLike {
  if (typeof e !== "object" || e === null || e instanceof LeadstoreError) return false;
  const r = e as Record<string, unknown>;
  return (
    typeof r.code === "string" &&
    /^[0-9A-Z]{5}$/.test(r.code) &&
    typeof r.message === "string" &&
    typeof r.severity === "string"
  );
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function classFor(code: string, message: string): new (f: LeadstoreErrorFields) => LeadstoreError {
  switch (code) {
    case "P0002":
      if (message.startsWith("lead ")) return LeadNotFoundError;
      if (message.startsWith("technology ")) return TechnologyNotFoundError;
      return NotFoundError;
    case "22023":
      if (/ is not a CMS$| does not belong to the business unit /.test(message))
        return NotACmsOfBusinessUnitError;
      return InvalidArgumentError;
    case "22004":
      return InvalidArgumentError;
    case "55P03":
      return LockNotAvailableError;
    case "55000":
      return NotRunningError;
    case "42P01":
    case "42703":
    case "42804":
    case "42P10":
      return DataModelError;
    default:
      return LeadstoreError;
  }
}

/**
 * Drizzle's wrapper of a failed query (DrizzleQueryError in recent
 * drizzle-orm versions): its message lists the query and every parameter.
 * Recognised by its shape, not by class, so that the module also loads with
 * drizzle-orm versions that do not export the class.
 */
function isDrizzleQueryError(e: unknown): e is Error & { cause?: unknown } {
  if (!(e instanceof Error)) return false;
  const r = e as Error & { query?: unknown; params?: unknown };
  return (
    e.name === "DrizzleQueryError" ||
    (e.message.startsWith("Failed query:") && typeof r.query === "string" && Array.isArray(r.params))
  );
}

/**
 * Maps an error thrown by a Drizzle query to what the leadstore client
 * throws:
 * - a server error (pg's DatabaseError, itself or as the `cause` of
 *   Drizzle's wrapper) becomes a LeadstoreError subclass built only from the
 *   server's fields;
 * - Drizzle's wrapper around anything else (connection lost, ...) is
 *   replaced by the driver's error it wraps, dropping Drizzle's message,
 *   which lists every parameter;
 * - anything else is returned unchanged.
 *
 * Exported for applications that call leadstore with their own
 * `db.execute(sql\`...\`)`: `catch (e) { throw toLeadstoreError(e); }`.
 */
export function toLeadstoreError(err: unknown): unknown {
  if (err instanceof LeadstoreError) return err;
  const dbError = isPgDatabaseError(err)
    ? err
    : isDrizzleQueryError(err) && isPgDatabaseError(err.cause)
      ? err.cause
      : undefined;
  if (dbError) {
    const Cls = classFor(dbError.code, dbError.message);
    return new Cls({
      code: dbError.code,
      message: dbError.message,
      detail: str(dbError.detail),
      hint: str(dbError.hint),
      severity: str(dbError.severity),
      schema: str(dbError.schema),
      table: str(dbError.table),
      column: str(dbError.column),
      constraint: str(dbError.constraint),
    });
  }
  if (isDrizzleQueryError(err))
    return err.cause instanceof Error ? err.cause : new Error("leadstore query failed (the driver gave no error)");
  return err;
}

/* ------------------------------------------------------------------------
 * Argument encoding
 * --------------------------------------------------------------------- */

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Packs embeddings as n x d little-endian float32, row-major, the format of
 * the embeddings_packed argument.  Returns null for no embeddings at all
 * (null, undefined, or an empty list of rows).  TypeError on ragged rows or
 * on non-number values.
 */
export function packEmbeddings(embeddings: EmbeddingsInput | null | undefined): Buffer | null {
  if (embeddings == null) return null;
  if (embeddings instanceof Float32Array) {
    if (littleEndianHost)
      return Buffer.from(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength);
    return packRows([embeddings], embeddings.length);
  }
  if (!Array.isArray(embeddings))
    throw new TypeError("embeddings must be a Float32Array or an array of rows (Float32Array or number[])");
  const rows = embeddings as ReadonlyArray<Float32Array | ReadonlyArray<number>>;
  if (rows.length === 0) return null;
  let d = -1;
  rows.forEach((row, r) => {
    if (!(row instanceof Float32Array) && !Array.isArray(row))
      throw new TypeError(`embeddings row ${r} must be a Float32Array or an array of numbers`);
    if (d < 0) d = row.length;
    else if (row.length !== d)
      throw new TypeError(
        `embeddings rows must all have the same length: row 0 has ${d} values, row ${r} has ${row.length}`,
      );
    if (!(row instanceof Float32Array)) {
      for (let c = 0; c < row.length; c++)
        if (typeof row[c] !== "number")
          throw new TypeError(`embeddings row ${r} element ${c} is not a number`);
    }
  });
  return packRows(rows, d);
}

function packRows(rows: ReadonlyArray<Float32Array | ReadonlyArray<number>>, d: number): Buffer {
  const bytes = new ArrayBuffer(rows.length * d * 4);
  if (littleEndianHost) {
    const all = new Float32Array(bytes);
    rows.forEach((row, r) => all.set(row, r * d));
  } else {
    const view = new DataView(bytes);
    rows.forEach((row, r) => {
      for (let c = 0; c < d; c++) view.setFloat32((r * d + c) * 4, row[c]!, true);
    });
  }
  return Buffer.from(bytes);
}

/**
 * The packed form carries no row count (the server takes n from chunks), so
 * a list of rows whose length differs from the chunks' is refused here, with
 * the error the server raises for the same mistake in the real[] form.
 */
function checkRowCount(embeddings: EmbeddingsInput | null | undefined, chunks: readonly string[] | null | undefined) {
  if (!Array.isArray(embeddings) || embeddings.length === 0 || chunks == null || chunks.length === 0) return;
  if (embeddings.length !== chunks.length)
    throw new InvalidArgumentError({
      code: "22023",
      message: "embeddings does not have one row per chunk",
      detail: `Number of chunks: ${chunks.length}.  Number of embeddings rows: ${embeddings.length}.`,
      hint: "Pass one embedding per chunk.",
    });
}

/** A number as numeric text (NaN and infinities included: the server refuses them with 22023). */
function numericParam(v: number | null | undefined): string | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v !== "number") throw new TypeError(`confidence must be a number, not ${typeof v}`);
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  return String(v);
}

/** A run token as text for a timestamptz parameter. */
function tokenParam(v: string | Date | null | undefined): string | null | undefined {
  if (v === undefined || v === null) return v;
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new TypeError("startedAt is an invalid Date");
    return v.toISOString();
  }
  if (typeof v !== "string") throw new TypeError("startedAt must be the runToken string (or a Date)");
  return v;
}

function jsonParam(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const text = JSON.stringify(v);
  return text === undefined ? null : text;
}

function intervalParam(v: string | number): string {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new TypeError("staleAfter must be a finite number of milliseconds");
    return `${v} milliseconds`;
  }
  return v;
}

/** name => $n::type for each argument that is not undefined (undefined: the SQL default) */
function callSql(fn: string, args: ReadonlyArray<[name: string, value: unknown, type: string]>): SQL {
  const parts: SQL[] = [];
  for (const [name, value, type] of args) {
    if (value === undefined) continue;
    parts.push(sql`${sql.raw(name)} => ${sql.param(value)}::${sql.raw(type)}`);
  }
  return sql`select * from leadstore.${sql.raw(fn)}(${sql.join(parts, sql`, `)})`;
}

async function callOne(db: LeadstoreDb, query: SQL): Promise<Record<string, unknown>> {
  let rows: Record<string, unknown>[];
  try {
    rows = (await db.execute(query)).rows;
  } catch (e) {
    throw toLeadstoreError(e);
  }
  if (rows.length !== 1) throw new Error(`leadstore call returned ${rows.length} rows, expected 1`);
  return rows[0]!;
}

/* ------------------------------------------------------------------------
 * Result decoding
 * --------------------------------------------------------------------- */

function asString(v: unknown): string {
  return String(v);
}

function asNullableString(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function asInt(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

function asBool(v: unknown): boolean {
  return v === true || v === "t" || v === "true";
}

const TIMESTAMPTZ_RE =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/;

/**
 * A timestamptz as node-postgres returns it through Drizzle (which turns
 * pg's Date parsing off and hands over the text, DateStyle ISO): a Date.
 */
function asDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  const text = String(v);
  if (text === "infinity") return new Date(8.64e15);
  if (text === "-infinity") return new Date(-8.64e15);
  const m = TIMESTAMPTZ_RE.exec(text);
  if (!m)
    throw new Error(`cannot parse timestamptz "${text}": leadstore's client (like node-postgres) needs DateStyle ISO`);
  let year = Number(m[1]);
  if (m[12]) year = 1 - year;
  const ms = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  const offsetSeconds =
    (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
  const d = new Date(0);
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), ms);
  return new Date(d.getTime() - offsetSeconds * 1000);
}

/** started_at as the run token: the server's text (a Date from other drivers: its ISO text). */
function asToken(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

function chunkWrite(r: Record<string, unknown>): ChunkWrite {
  return {
    rfpId: asString(r.rfp_id),
    leadId: asNullableString(r.lead_id),
    chunksWritten: asInt(r.chunks_written),
    chunksReplaced: asInt(r.chunks_replaced),
  };
}

function sectionWrite(r: Record<string, unknown>): SectionWrite {
  return {
    sectionRowId: asString(r.section_row_id),
    rfpId: asString(r.rfp_id),
    created: asBool(r.created),
    chunksWritten: asInt(r.chunks_written),
    chunksReplaced: asInt(r.chunks_replaced),
  };
}

function cmsSelection(r: Record<string, unknown>): CmsSelection {
  return {
    leadId: asString(r.lead_id),
    previousCmsId: asNullableString(r.previous_cms_id),
    selectedCmsId: asNullableString(r.selected_cms_id),
    changed: asBool(r.changed),
  };
}

function deepScanRun(r: Record<string, unknown>): DeepScanRun {
  return {
    leadId: asString(r.lead_id),
    status: asString(r.status) as DeepScanStatus,
    startedAt: asDate(r.started_at),
    runToken: asToken(r.started_at),
    completedAt: asDate(r.completed_at),
    sectionsStored: asInt(r.sections_stored),
    transitioned: asBool(r.transitioned),
  };
}

/* ------------------------------------------------------------------------
 * The functions
 * --------------------------------------------------------------------- */

/**
 * leadstore.store_section_result: upserts the section of a lead and
 * replaces its RAG chunks, atomically.  Takes no lock on the lead: the 13
 * sections of one lead can be stored in parallel.
 *
 * @throws LeadNotFoundError, InvalidArgumentError (also raised client-side
 *   when a list of embedding rows and chunks differ in length: the packed
 *   form has no row count of its own), DataModelError, LeadstoreError (e.g.
 *   40001 under REPEATABLE READ: retry); TypeError for ragged embeddings or
 *   a confidence that is not a number.
 */
export async function storeSectionResult(db: LeadstoreDb, args: StoreSectionResultArgs): Promise<SectionWrite> {
  const packed = packEmbeddings(args.embeddings);
  checkRowCount(args.embeddings, args.chunks);
  const query = callSql("store_section_result", [
    ["lead_id", args.leadId ?? null, "text"],
    ["section_id", args.sectionId ?? null, "text"],
    ["content", jsonParam(args.content), "jsonb"],
    ["confidence", numericParam(args.confidence), "numeric"],
    ["sources", args.sources === undefined ? undefined : jsonParam(args.sources), "jsonb"],
    ["chunks", args.chunks, "text[]"],
    ["chunk_type", args.chunkType, "text"],
    ["agent_name", args.agentName, "text"],
    ["embeddings_packed", packed ?? undefined, "bytea"],
  ]);
  return sectionWrite(await callOne(db, query));
}

/**
 * leadstore.store_chunks: replaces, atomically, the chunks of one writer
 * (agentName) for one RFP and lead (leadId null: RFP-level chunks) that
 * belong to no section, with chunkIndex 0..n-1.  Never touches a section's
 * chunks.  Two calls for the same (rfp, lead, agent) serialize (the later
 * one's chunks win, never a mixture); other keys and section stores do not
 * wait.
 *
 * @throws LeadNotFoundError, InvalidArgumentError (22004: chunks or
 *   agentName null, or both rfpId and leadId null; 22023: rfpId disagrees
 *   with the lead's, empty agentName, embedding problems; also raised
 *   client-side when a list of embedding rows and chunks differ in length),
 *   DataModelError, LeadstoreError (e.g. 40001 under REPEATABLE READ:
 *   retry); TypeError for ragged embeddings.
 */
export async function storeChunks(db: LeadstoreDb, args: StoreChunksArgs): Promise<ChunkWrite> {
  const packed = packEmbeddings(args.embeddings);
  checkRowCount(args.embeddings, args.chunks);
  const query = callSql("store_chunks", [
    ["rfp_id", args.rfpId ?? null, "text"],
    ["agent_name", args.agentName ?? null, "text"],
    ["chunks", args.chunks ?? null, "text[]"],
    ["lead_id", args.leadId ?? null, "text"],
    ["chunk_type", args.chunkType, "text"],
    ["metadata", args.metadata === undefined ? undefined : jsonParam(args.metadata), "jsonb"],
    ["embeddings_packed", packed ?? undefined, "bytea"],
  ]);
  return chunkWrite(await callOne(db, query));
}

/**
 * leadstore.select_cms: selects a CMS for a lead under a FOR NO KEY UPDATE
 * lock on the lead and a FOR SHARE lock on the technology.
 *
 * @throws LeadNotFoundError, TechnologyNotFoundError,
 *   NotACmsOfBusinessUnitError, LockNotAvailableError (nowait),
 *   InvalidArgumentError, DataModelError, LeadstoreError
 */
export async function selectCms(db: LeadstoreDb, args: SelectCmsArgs): Promise<CmsSelection> {
  const query = callSql("select_cms", [
    ["lead_id", args.leadId ?? null, "text"],
    ["cms_id", args.cmsId ?? null, "text"],
    ["nowait", args.nowait, "boolean"],
  ]);
  return cmsSelection(await callOne(db, query));
}

/**
 * leadstore.select_cms_if: compare-and-set.  Writes only when the current
 * selection equals expectedCmsId (null: nothing selected); otherwise
 * returns changed = false and the current selection.
 *
 * @throws as {@link selectCms}
 */
export async function selectCmsIf(db: LeadstoreDb, args: SelectCmsIfArgs): Promise<CmsSelection> {
  const query = callSql("select_cms_if", [
    ["lead_id", args.leadId ?? null, "text"],
    ["expected_cms_id", args.expectedCmsId ?? null, "text"],
    ["cms_id", args.cmsId ?? null, "text"],
    ["nowait", args.nowait, "boolean"],
  ]);
  return cmsSelection(await callOne(db, query));
}

/**
 * leadstore.clear_cms_selection: sets the lead's selection to null.
 *
 * @throws LeadNotFoundError, LockNotAvailableError (nowait),
 *   InvalidArgumentError, DataModelError, LeadstoreError
 */
export async function clearCmsSelection(db: LeadstoreDb, args: LeadLockArgs): Promise<CmsSelection> {
  const query = callSql("clear_cms_selection", [
    ["lead_id", args.leadId ?? null, "text"],
    ["nowait", args.nowait, "boolean"],
  ]);
  return cmsSelection(await callOne(db, query));
}

/**
 * leadstore.select_default_cms: when nothing is selected, selects the
 * business unit's default CMS; otherwise (or without a default) writes
 * nothing.
 *
 * @throws as {@link clearCmsSelection}
 */
export async function selectDefaultCms(db: LeadstoreDb, args: LeadLockArgs): Promise<CmsSelection> {
  const query = callSql("select_default_cms", [
    ["lead_id", args.leadId ?? null, "text"],
    ["nowait", args.nowait, "boolean"],
  ]);
  return cmsSelection(await callOne(db, query));
}

/**
 * leadstore.begin_deep_scan: moves the lead to "running" unless a run
 * younger than staleAfter is running (then transitioned = false).  Clears
 * leads.deep_scan_error when the table has that column.
 *
 * The result's `runToken` identifies the run: keep it and pass it back to
 * {@link finishDeepScan} as `startedAt`, always.  With transitioned =
 * false the run is someone else's (its token is returned all the same).
 *
 * @throws LeadNotFoundError, InvalidArgumentError, DataModelError,
 *   LeadstoreError (e.g. 22007 for a malformed interval)
 */
export async function beginDeepScan(db: LeadstoreDb, args: BeginDeepScanArgs): Promise<DeepScanRun> {
  const query = callSql("begin_deep_scan", [
    ["lead_id", args.leadId ?? null, "text"],
    ["stale_after", args.staleAfter === undefined ? undefined : intervalParam(args.staleAfter), "interval"],
  ]);
  return deepScanRun(await callOne(db, query));
}

/**
 * leadstore.finish_deep_scan: ends the lead's running scan with `outcome`
 * (or, without one, "completed" when at least one section was stored since
 * it started, "failed" otherwise), stamps completedAt and stores `error`.
 * Given the run token (`startedAt`), it finishes only that run.
 *
 * @throws StaleRunError (55000 with a token: the run is no longer the
 *   lead's current run; nothing written), NotRunningError (55000 without a
 *   token: the lead is not running), LeadNotFoundError,
 *   InvalidArgumentError (22023: an outcome other than "completed" or
 *   "failed"), DataModelError (42703: an error text and no deep_scan_error
 *   column), LeadstoreError
 */
export async function finishDeepScan(db: LeadstoreDb, args: FinishDeepScanArgs): Promise<DeepScanRun> {
  const token = tokenParam(args.startedAt);
  const query = callSql("finish_deep_scan", [
    ["lead_id", args.leadId ?? null, "text"],
    ["started_at", token ?? undefined, "timestamptz"],
    ["outcome", args.outcome ?? undefined, "text"],
    ["error", args.error ?? undefined, "text"],
  ]);
  try {
    return deepScanRun(await callOne(db, query));
  } catch (e) {
    if (token != null && e instanceof NotRunningError && !(e instanceof StaleRunError))
      throw new StaleRunError(errorFields(e));
    throw e;
  }
}
