// Shared helpers of the client test suite: connections, fixtures with
// unique ids, and readers for what the functions wrote.
//
// The database is the one in LEADSTORE_TEST_URL; it holds the extension
// and the reference data model in public (tools/test.sh creates it).  Every
// fixture has its own business units, rfp, lead and technologies, so test
// files may run in parallel; dropFixture deletes them again.
import { randomUUID } from "node:crypto";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { asc, and, eq, sql } from "drizzle-orm";
import pg from "pg";

import * as s from "./schema.js";

export function testUrl(): string {
  const url = process.env.LEADSTORE_TEST_URL;
  if (!url) throw new Error("LEADSTORE_TEST_URL is not set (e.g. postgresql://postgres@127.0.0.1:54413/leadstore_client)");
  return url;
}

export type Db = NodePgDatabase<typeof s>;
/** A transaction of Db (the tx of db.transaction). */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Where the readers can read: the database or a transaction. */
export type Q = Db | Tx;

/**
 * Server-side limits of every test session, so that a lock that is never
 * released (a broken lock in the server, a test holding one by mistake)
 * ends as a named failing test with 55P03/57014, never as a hang.  Tests
 * that wait for locks on purpose SET LOCAL a shorter lock_timeout.
 */
export const SESSION_LIMITS = "-c lock_timeout=15s -c statement_timeout=30s -c idle_in_transaction_session_timeout=60s";

/** Client-side limits: connecting, and a query the server never answers. */
const CLIENT_LIMITS = { connectionTimeoutMillis: 10_000, query_timeout: 45_000 } as const;

/** Connection settings for node-postgres: the test URL, the limits, and extra `-c` options. */
export function pgConfig(extraOptions = ""): pg.ClientConfig {
  return {
    connectionString: testUrl(),
    options: `${SESSION_LIMITS} ${extraOptions}`.trim(),
    ...CLIENT_LIMITS,
  };
}

/** A pool of at most max connections and a Drizzle database on it. */
export function connect(max = 4): { pool: pg.Pool; db: Db } {
  const pool = new pg.Pool({ ...pgConfig(), max });
  return { pool, db: drizzle({ client: pool, schema: s }) };
}

/** A single dedicated connection (to hold locks while the pool works). */
export async function connectClient(extraOptions = ""): Promise<pg.Client> {
  const client = new pg.Client(pgConfig(extraOptions));
  await client.connect();
  return client;
}

export function uid(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export interface Fixture {
  buId: string;
  otherBuId: string;
  rfpId: string;
  leadId: string;
  /** CMS of the lead's business unit */
  cmsId: string;
  /** another CMS of the lead's business unit */
  cms2Id: string;
  /** default CMS of the lead's business unit (is_default) */
  defaultCmsId: string;
  /** a Framework of the lead's business unit */
  frameworkId: string;
  /** a technology without category */
  noCategoryId: string;
  /** a CMS of another business unit */
  otherBuCmsId: string;
  /** a lead of the other business unit, which has no default CMS */
  otherLeadId: string;
}

export async function createFixture(db: Db): Promise<Fixture> {
  const f: Fixture = {
    buId: uid("bu"),
    otherBuId: uid("bu-other"),
    rfpId: uid("rfp"),
    leadId: uid("lead"),
    cmsId: uid("cms"),
    cms2Id: uid("cms2"),
    defaultCmsId: uid("cms-default"),
    frameworkId: uid("fw"),
    noCategoryId: uid("nocat"),
    otherBuCmsId: uid("cms-other"),
    otherLeadId: uid("lead-other"),
  };
  await db.insert(s.businessUnits).values([
    { id: f.buId, name: "Digital Experience" },
    { id: f.otherBuId, name: "Data Platforms" },
  ]);
  await db.insert(s.technologies).values([
    { id: f.cmsId, name: "Drupal", businessUnitId: f.buId, category: "CMS" },
    { id: f.cms2Id, name: "Magnolia", businessUnitId: f.buId, category: "CMS" },
    { id: f.defaultCmsId, name: "Sitecore", businessUnitId: f.buId, category: "CMS", isDefault: true },
    { id: f.frameworkId, name: "Next.js", businessUnitId: f.buId, category: "Framework" },
    { id: f.noCategoryId, name: "Unknown", businessUnitId: f.buId, category: null },
    { id: f.otherBuCmsId, name: "Contentful", businessUnitId: f.otherBuId, category: "CMS" },
  ]);
  await db.insert(s.rfps).values({ id: f.rfpId, title: "Website relaunch" });
  await db.insert(s.leads).values([
    { id: f.leadId, rfpId: f.rfpId, businessUnitId: f.buId, customerName: "ACME AG" },
    { id: f.otherLeadId, rfpId: f.rfpId, businessUnitId: f.otherBuId, customerName: "ACME AG" },
  ]);
  return f;
}

export async function dropFixture(db: Db, f: Fixture): Promise<void> {
  // leads cascade to lead_section_data and rfp_embeddings
  await db.execute(sql`delete from leads where rfp_id = ${f.rfpId}`);
  await db.execute(sql`delete from rfp_embeddings where rfp_id = ${f.rfpId}`);
  await db.execute(sql`delete from technologies where business_unit_id in (${f.buId}, ${f.otherBuId})`);
  await db.execute(sql`delete from rfps where id = ${f.rfpId}`);
  await db.execute(sql`delete from business_units where id in (${f.buId}, ${f.otherBuId})`);
}

/** The lead row. */
export async function readLead(db: Q, leadId: string) {
  const rows = await db.select().from(s.leads).where(eq(s.leads.id, leadId));
  return rows[0];
}

/** The section row, or undefined. */
export async function readSection(db: Q, leadId: string, sectionId: string) {
  const rows = await db
    .select()
    .from(s.leadSectionData)
    .where(and(eq(s.leadSectionData.leadId, leadId), eq(s.leadSectionData.sectionId, sectionId)));
  return rows[0];
}

export interface ChunkRow {
  chunkIndex: number;
  content: string;
  agentName: string;
  chunkType: string;
  rfpId: string;
  metadata: unknown;
  ndims: number | null;
  dim: number | null;
  /** the stored floats' IEEE-754 bits, big-endian (float4send), concatenated */
  bits: Buffer;
}

/** A section's chunk rows in chunk_index order, embeddings as raw float4 bits. */
export async function readChunks(db: Q, leadId: string, sectionId: string): Promise<ChunkRow[]> {
  const res = await db.execute(sql`
    select e.chunk_index, e.content, e.agent_name, e.chunk_type, e.rfp_id, e.metadata,
           array_ndims(e.embedding) as ndims, array_length(e.embedding, 1) as dim,
           coalesce((select string_agg(float4send(u.x), ''::bytea order by u.o)
                       from unnest(e.embedding) with ordinality u(x, o)), ''::bytea) as bits
      from rfp_embeddings e
     where e.lead_id = ${leadId} and e.section_id = ${sectionId}
     order by e.chunk_index`);
  return res.rows.map((r) => ({
    chunkIndex: r.chunk_index as number,
    content: r.content as string,
    agentName: r.agent_name as string,
    chunkType: r.chunk_type as string,
    rfpId: r.rfp_id as string,
    metadata: r.metadata,
    ndims: r.ndims as number | null,
    dim: r.dim as number | null,
    bits: r.bits as Buffer,
  }));
}

/** The number of a section's chunk rows, read through the Drizzle schema. */
export async function countChunks(db: Q, leadId: string, sectionId?: string): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(s.rfpEmbeddings)
    .where(
      sectionId === undefined
        ? eq(s.rfpEmbeddings.leadId, leadId)
        : and(eq(s.rfpEmbeddings.leadId, leadId), eq(s.rfpEmbeddings.sectionId, sectionId)),
    );
  return rows[0]!.n;
}

/** The sections of a lead, ordered by section_id. */
export async function listSections(db: Q, leadId: string) {
  return db
    .select()
    .from(s.leadSectionData)
    .where(eq(s.leadSectionData.leadId, leadId))
    .orderBy(asc(s.leadSectionData.sectionId));
}

/** Big-endian IEEE-754 bits of float32 values, as float4send would give them. */
export function float32BitsBE(values: ArrayLike<number>): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatBE(values[i]!, i * 4);
  return buf;
}

/**
 * A deterministic pseudo-random Float32Array of length d (xorshift32), with
 * a few special values mixed in: -0, the smallest subnormal, the largest
 * float32, the smallest normal, tiny and huge magnitudes.
 */
export function makeEmbedding(d: number, seed: number): Float32Array {
  const v = new Float32Array(d);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < d; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    v[i] = (x / 0xffffffff) * 2 - 1;
  }
  const specials = [-0, 1.401298464324817e-45, 3.4028234663852886e38, 1.1754943508222875e-38, -1e-30, 1e30, 1 / 3];
  for (let i = 0; i < specials.length && i < d; i++) v[(i * 7919 + seed) % d] = specials[i]!;
  return v;
}

/** The 13 sections of a deep scan. */
export const SECTION_IDS = [
  "overview",
  "customer",
  "requirements",
  "technology",
  "cms",
  "integrations",
  "hosting",
  "security",
  "timeline",
  "budget",
  "competition",
  "risks",
  "recommendation",
] as const;

/** A string that must never appear in an error thrown by the client. */
export function marker(): string {
  return `SECRET-MARKER-${randomUUID()}`;
}

/** Every textual view of an error: message, String(), stack, inspect, JSON. */
export async function errorTexts(err: unknown): Promise<string[]> {
  const { inspect } = await import("node:util");
  const e = err as Error;
  return [e.message, String(e), e.stack ?? "", inspect(e, { depth: 10 }), JSON.stringify(e) ?? ""];
}
