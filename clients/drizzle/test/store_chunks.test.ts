// storeChunks (leadstore.store_chunks): chunks of one writer for one RFP
// (and lead) that belong to no section, replaced atomically; its errors, with
// nothing written; and how concurrent calls wait (or do not).
import assert from "node:assert/strict";
import { after, before, describe, test } from "./support/test.js";

import { and, asc, eq, isNull, sql } from "drizzle-orm";

import {
  DataModelError,
  InvalidArgumentError,
  LeadNotFoundError,
  LockNotAvailableError,
  storeChunks,
  storeSectionResult,
} from "../src/leadstore.js";
import { assertError, assertNoLeak, rejection } from "./support/assert.js";
import {
  connect,
  connectClient,
  createFixture,
  dropFixture,
  float32BitsBE,
  makeEmbedding,
  marker,
  readChunks,
  uid,
  type Db,
  type Fixture,
  type Q,
} from "./support/db.js";
import * as s from "./support/schema.js";

let pool: ReturnType<typeof connect>["pool"];
let db: Db;

before(() => {
  ({ pool, db } = connect(8));
});

after(async () => {
  await pool.end();
});

async function fixture(t: { after: (fn: () => Promise<void>) => void }): Promise<Fixture> {
  const f = await createFixture(db);
  t.after(() => dropFixture(db, f));
  return f;
}

/** The chunk rows of one (rfp, lead, agent) key without a section, in chunk_index order, through the Drizzle tables. */
async function keyChunks(q: Q, rfpId: string, leadId: string | null, agentName: string) {
  const e = s.rfpEmbeddings;
  return q
    .select()
    .from(e)
    .where(
      and(
        eq(e.rfpId, rfpId),
        leadId === null ? isNull(e.leadId) : eq(e.leadId, leadId),
        eq(e.agentName, agentName),
        isNull(e.sectionId),
      ),
    )
    .orderBy(asc(e.chunkIndex));
}

/** The stored embedding's float4 bits of each row of a key, in chunk_index order. */
async function keyBits(rfpId: string, leadId: string | null, agentName: string): Promise<Buffer[]> {
  const res = await db.execute(sql`
    select coalesce((select string_agg(float4send(u.x), ''::bytea order by u.o)
                       from unnest(e.embedding) with ordinality u(x, o)), ''::bytea) as bits
      from rfp_embeddings e
     where e.rfp_id = ${rfpId} and e.lead_id is not distinct from ${leadId}
       and e.agent_name = ${agentName} and e.section_id is null
     order by e.chunk_index`);
  return res.rows.map((r) => r.bits as Buffer);
}

/** Every chunk row of an RFP, as (lead, section, agent, index) strings: a snapshot to compare. */
async function allChunks(rfpId: string): Promise<string[]> {
  const res = await db.execute(sql`
    select concat_ws('|', coalesce(lead_id, '-'), coalesce(section_id, '-'), agent_name, chunk_index, content) as k
      from rfp_embeddings where rfp_id = ${rfpId} order by 1`);
  return res.rows.map((r) => r.k as string);
}

const emb = (n: number, d = 8, seed = 1) => Array.from({ length: n }, (_, i) => makeEmbedding(d, seed * 100 + i));

describe("storeChunks", () => {
  test("RFP-level chunks (no lead): written with chunk_index 0..n-1 and metadata {}", async (t) => {
    const f = await fixture(t);
    const embeddings = emb(3, 16);
    const res = await storeChunks(db, {
      rfpId: f.rfpId,
      agentName: "rfp-embedder",
      chunks: ["a", "b", "c"],
      embeddings,
    });
    assert.deepEqual(res, { rfpId: f.rfpId, leadId: null, chunksWritten: 3, chunksReplaced: 0 });
    const rows = await keyChunks(db, f.rfpId, null, "rfp-embedder");
    assert.deepEqual(
      rows.map((r) => [r.chunkIndex, r.content, r.chunkType, r.leadId, r.sectionId]),
      [
        [0, "a", "analysis", null, null],
        [1, "b", "analysis", null, null],
        [2, "c", "analysis", null, null],
      ],
    );
    for (const r of rows) assert.deepEqual(r.metadata, {});
    const bits = await keyBits(f.rfpId, null, "rfp-embedder");
    bits.forEach((b, i) => assert.ok(b.equals(float32BitsBE(embeddings[i]!)), `row ${i} bit for bit`));
  });

  test("lead-level chunks: rfpId taken from the lead; chunkType and metadata stored", async (t) => {
    const f = await fixture(t);
    const meta = { source: "legal.pdf", pages: [1, 2], nested: { ok: true } };
    const res = await storeChunks(db, {
      leadId: f.leadId,
      agentName: "legal-check",
      chunks: ["clause 1", "clause 2"],
      embeddings: emb(2),
      chunkType: "legal",
      metadata: meta,
    });
    assert.deepEqual(res, { rfpId: f.rfpId, leadId: f.leadId, chunksWritten: 2, chunksReplaced: 0 });
    const rows = await keyChunks(db, f.rfpId, f.leadId, "legal-check");
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r.chunkType, "legal");
      assert.deepEqual(r.metadata, meta);
      assert.ok(r.createdAt instanceof Date);
    }
  });

  test("rfpId and leadId both given and agreeing", async (t) => {
    const f = await fixture(t);
    const res = await storeChunks(db, {
      rfpId: f.rfpId,
      leadId: f.leadId,
      agentName: "references",
      chunks: ["r"],
      embeddings: [makeEmbedding(4, 9)],
    });
    assert.deepEqual(res, { rfpId: f.rfpId, leadId: f.leadId, chunksWritten: 1, chunksReplaced: 0 });
  });

  test("a second call replaces the key's chunks; other keys and section chunks untouched", async (t) => {
    const f = await fixture(t);
    await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "technology",
      content: {},
      chunks: ["section chunk"],
      embeddings: emb(1),
      agentName: "components", // same agent name as below: still not touched (it has a section)
    });
    await storeChunks(db, { leadId: f.leadId, agentName: "components", chunks: ["x1", "x2", "x3"], embeddings: emb(3) });
    await storeChunks(db, { rfpId: f.rfpId, agentName: "components", chunks: ["rfp-level"], embeddings: emb(1) });
    await storeChunks(db, { leadId: f.otherLeadId, agentName: "components", chunks: ["other lead"], embeddings: emb(1) });
    await storeChunks(db, { leadId: f.leadId, agentName: "legal-check", chunks: ["legal"], embeddings: emb(1) });
    const before = await allChunks(f.rfpId);

    const second = emb(2, 8, 7);
    const res = await storeChunks(db, { leadId: f.leadId, agentName: "components", chunks: ["y1", "y2"], embeddings: second });
    assert.deepEqual(res, { rfpId: f.rfpId, leadId: f.leadId, chunksWritten: 2, chunksReplaced: 3 });
    const rows = await keyChunks(db, f.rfpId, f.leadId, "components");
    assert.deepEqual(
      rows.map((r) => [r.chunkIndex, r.content]),
      [
        [0, "y1"],
        [1, "y2"],
      ],
    );
    const bits = await keyBits(f.rfpId, f.leadId, "components");
    bits.forEach((b, i) => assert.ok(b.equals(float32BitsBE(second[i]!))));

    const after = await allChunks(f.rfpId);
    const unchanged = (xs: string[]) => xs.filter((k) => !k.startsWith(`${f.leadId}|-|components|`));
    assert.deepEqual(unchanged(after), unchanged(before), "every other row is as before");
    assert.equal((await readChunks(db, f.leadId, "technology")).length, 1, "the section's chunk is still there");
  });

  test("an empty chunks array deletes the key's chunks and needs no embeddings", async (t) => {
    const f = await fixture(t);
    await storeChunks(db, { rfpId: f.rfpId, agentName: "a", chunks: ["1", "2"], embeddings: emb(2) });
    const res = await storeChunks(db, { rfpId: f.rfpId, agentName: "a", chunks: [] });
    assert.deepEqual(res, { rfpId: f.rfpId, leadId: null, chunksWritten: 0, chunksReplaced: 2 });
    assert.equal((await keyChunks(db, f.rfpId, null, "a")).length, 0);
  });

  test("embeddings as number[][] and as one flat Float32Array", async (t) => {
    const f = await fixture(t);
    const rows = [
      [0.1, -0, 3.4e38],
      [1e-45, -2, 1 / 3],
    ];
    await storeChunks(db, { rfpId: f.rfpId, agentName: "nums", chunks: ["p", "q"], embeddings: rows });
    const bits = await keyBits(f.rfpId, null, "nums");
    bits.forEach((b, i) => assert.ok(b.equals(float32BitsBE(Float32Array.from(rows[i]!)))));

    const one = makeEmbedding(3072, 5);
    await storeChunks(db, { rfpId: f.rfpId, agentName: "flat", chunks: ["only"], embeddings: one });
    const [b] = await keyBits(f.rfpId, null, "flat");
    assert.ok(b!.equals(float32BitsBE(one)), "3072 floats bit for bit");
  });

  test("inside a transaction: rolled back with it", async (t) => {
    const f = await fixture(t);
    await assert.rejects(
      db.transaction(async (tx) => {
        await storeChunks(tx, { rfpId: f.rfpId, agentName: "tx", chunks: ["a"], embeddings: emb(1) });
        assert.equal((await keyChunks(tx, f.rfpId, null, "tx")).length, 1);
        tx.rollback();
      }),
    );
    assert.equal((await keyChunks(db, f.rfpId, null, "tx")).length, 0);
  });
});

describe("storeChunks errors (nothing written)", () => {
  let f: Fixture;
  before(async () => {
    f = await createFixture(db);
    // existing chunks of the key the failing calls use: they must survive every failure
    await storeChunks(db, { leadId: f.leadId, agentName: "keep", chunks: ["k0", "k1"], embeddings: emb(2) });
  });
  after(() => dropFixture(db, f));

  const base = () => ({ leadId: f.leadId, agentName: "keep", chunks: ["n0"], embeddings: emb(1) });

  async function expectNothingWritten(): Promise<void> {
    const rows = await keyChunks(db, f.rfpId, f.leadId, "keep");
    assert.deepEqual(
      rows.map((r) => r.content),
      ["k0", "k1"],
    );
  }

  const cases: Array<[string, () => Promise<unknown>, Function, string, RegExp?]> = [
    ["chunks null: 22004", () => storeChunks(db, { ...base(), chunks: null }), InvalidArgumentError, "22004", /chunks/],
    [
      "agentName null: 22004",
      () => storeChunks(db, { ...base(), agentName: null as unknown as string }),
      InvalidArgumentError,
      "22004",
      /agent_name/,
    ],
    [
      "rfpId and leadId both null: 22004",
      () => storeChunks(db, { ...base(), leadId: null, rfpId: null }),
      InvalidArgumentError,
      "22004",
      /rfp_id must not be null when lead_id is null/,
    ],
    ["agentName empty: 22023", () => storeChunks(db, { ...base(), agentName: "" }), InvalidArgumentError, "22023", /agent_name/],
    [
      "rfpId disagrees with the lead's: 22023",
      () => storeChunks(db, { ...base(), rfpId: uid("other-rfp") }),
      InvalidArgumentError,
      "22023",
    ],
    ["chunks without embeddings: 22023", () => storeChunks(db, { ...base(), embeddings: null }), InvalidArgumentError, "22023"],
    [
      "NaN in an embedding: 22023",
      () => storeChunks(db, { ...base(), embeddings: [[1, Number.NaN]] }),
      InvalidArgumentError,
      "22023",
    ],
    [
      "one embedding row for two chunks: 22023 (client-side)",
      () => storeChunks(db, { ...base(), chunks: ["a", "b"] }),
      InvalidArgumentError,
      "22023",
      /one row per chunk/,
    ],
  ];
  for (const [name, call, Cls, code, message] of cases)
    test(name, async () => {
      assertError(await rejection(call), Cls as typeof InvalidArgumentError, code, message);
      await expectNothingWritten();
    });

  test("unknown lead: LeadNotFoundError P0002", async () => {
    const missing = uid("no-such-lead");
    const err = assertError(
      await rejection(storeChunks(db, { leadId: missing, agentName: "keep", chunks: ["x"], embeddings: emb(1) })),
      LeadNotFoundError,
      "P0002",
    );
    assert.ok(err.message.includes(missing));
    await expectNothingWritten();
  });

  test("ragged rows: TypeError before anything is sent", async () => {
    await assert.rejects(storeChunks(db, { ...base(), chunks: ["a", "b"], embeddings: [[1, 2], [3]] }), TypeError);
    await expectNothingWritten();
  });

  test("no parameter value in the error", async () => {
    const secret = marker();
    const err = await rejection(
      storeChunks(db, { ...base(), rfpId: uid("other-rfp"), chunks: [secret], metadata: { secret }, agentName: "keep" }),
    );
    assertError(err, InvalidArgumentError, "22023");
    await assertNoLeak(err, secret);
  });

  test("a chunk table without agent_name: DataModelError", async () => {
    // in a scratch schema without rfp_embeddings.agent_name, rolled back
    const schema = `ls_chunks_${process.pid}_${Date.now()}`;
    const err = await rejection(
      db.transaction(async (tx) => {
        await tx.execute(sql.raw(`create schema ${schema}`));
        await tx.execute(sql.raw(`create table ${schema}.rfps (id text primary key, created_at timestamptz)`));
        await tx.execute(
          sql.raw(`create table ${schema}.rfp_embeddings (id text primary key, rfp_id text, lead_id text,
                     section_id text, chunk_type text, chunk_index integer, content text, metadata jsonb,
                     embedding real[], created_at timestamptz)`),
        );
        await tx.execute(sql`select set_config('leadstore.data_schema', ${schema}, true)`);
        await storeChunks(tx, { rfpId: "r", agentName: "a", chunks: [] });
      }),
    );
    assert.ok(err instanceof DataModelError, `DataModelError, got ${String(err)}`);
  });
});

describe("storeChunks concurrency", () => {
  test("two calls for the same key serialize: the later one's chunks, never a mixture", async (t) => {
    const f = await fixture(t);
    const holder = await connectClient();
    t.after(() => holder.end());
    // the first call, in an open transaction on its own connection
    await holder.query("begin");
    await holder.query(
      `select * from leadstore.store_chunks(rfp_id => $1, agent_name => 'same', chunks => $2::text[],
                                            embeddings => $3::real[])`,
      [f.rfpId, ["first-0", "first-1", "first-2"], [[1], [2], [3]]],
    );
    // the second waits for it ...
    let settled = false;
    const second = db
      .transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = '10s'`);
        return storeChunks(tx, { rfpId: f.rfpId, agentName: "same", chunks: ["second-0", "second-1"], embeddings: emb(2) });
      })
      .finally(() => {
        settled = true;
      });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(settled, false, "the second call waits for the first one's transaction");
    await holder.query("commit");
    // ... then replaces its chunks
    const res = await second;
    assert.equal(res.chunksReplaced, 3);
    assert.equal(res.chunksWritten, 2);
    const rows = await keyChunks(db, f.rfpId, null, "same");
    assert.deepEqual(
      rows.map((r) => [r.chunkIndex, r.content]),
      [
        [0, "second-0"],
        [1, "second-1"],
      ],
    );
  });

  test("other agents of the RFP and a section store of the same lead do not wait", async (t) => {
    const f = await fixture(t);
    const holder = await connectClient();
    t.after(() => holder.end());
    await holder.query("begin");
    await holder.query(
      `select * from leadstore.store_chunks(rfp_id => null, lead_id => $1, agent_name => 'held', chunks => array['h'],
                                            embeddings => array[1]::real[])`,
      [f.leadId],
    );
    try {
      await db.transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = '1s'`);
        await storeChunks(tx, { leadId: f.leadId, agentName: "other-agent", chunks: ["o"], embeddings: emb(1) });
        await storeChunks(tx, { rfpId: f.rfpId, agentName: "held", chunks: ["rfp-level"], embeddings: emb(1) });
        await storeSectionResult(tx, { leadId: f.leadId, sectionId: "overview", content: {}, chunks: ["s"], embeddings: emb(1) });
      });
    } finally {
      await holder.query("rollback");
    }
  });

  test("a waiting call gives up with lock_timeout: LockNotAvailableError, nothing written", async (t) => {
    const f = await fixture(t);
    const holder = await connectClient();
    t.after(() => holder.end());
    await holder.query("begin");
    await holder.query(
      `select * from leadstore.store_chunks(rfp_id => $1, agent_name => 'busy', chunks => array['h'],
                                            embeddings => array[1]::real[])`,
      [f.rfpId],
    );
    try {
      const err = await rejection(
        db.transaction(async (tx) => {
          await tx.execute(sql`set local lock_timeout = '200ms'`);
          await storeChunks(tx, { rfpId: f.rfpId, agentName: "busy", chunks: ["w"], embeddings: emb(1) });
        }),
      );
      assertError(err, LockNotAvailableError, "55P03");
    } finally {
      await holder.query("rollback");
    }
    assert.equal((await keyChunks(db, f.rfpId, null, "busy")).length, 0);
  });

  test("REPEATABLE READ: a same-key store committed after the snapshot raises 40001", async (t) => {
    const f = await fixture(t);
    const other = await connectClient();
    t.after(() => other.end());
    const err = await rejection(
      db.transaction(
        async (tx) => {
          await tx.execute(sql`select 1`); // takes the snapshot
          await other.query(
            `select * from leadstore.store_chunks(rfp_id => $1, agent_name => 'rr', chunks => array['o'],
                                                  embeddings => array[1]::real[])`,
            [f.rfpId],
          );
          await storeChunks(tx, { rfpId: f.rfpId, agentName: "rr", chunks: ["t"], embeddings: emb(1) });
        },
        { isolationLevel: "repeatable read" },
      ),
    );
    assert.ok(err instanceof Error && (err as { code?: string }).code === "40001", `40001, got ${String(err)}`);
    const rows = await keyChunks(db, f.rfpId, null, "rr");
    assert.deepEqual(
      rows.map((r) => r.content),
      ["o"],
    );
  });
});
