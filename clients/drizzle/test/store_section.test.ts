// storeSectionResult through the client module: results, the rows written,
// embeddings bit for bit in every accepted form, chunk texts and JSON.
import assert from "node:assert/strict";
import { after, before, describe, test } from "./support/test.js";

import { InvalidArgumentError, packEmbeddings, storeSectionResult } from "../src/leadstore.js";
import type { SectionSources } from "../src/tables.js";
import {
  connect,
  countChunks,
  createFixture,
  dropFixture,
  float32BitsBE,
  makeEmbedding,
  readChunks,
  readSection,
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

describe("storeSectionResult", () => {
  test("stores a section without chunks and returns a typed SectionWrite", async () => {
    const res = await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "overview",
      content: { summary: "Relaunch of acme.example", pages: 120 },
      confidence: 70,
      sources: ["rfp.pdf", "call-notes.md"],
    });
    assert.equal(typeof res.sectionRowId, "string");
    assert.match(res.sectionRowId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(res, {
      sectionRowId: res.sectionRowId,
      rfpId: f.rfpId,
      created: true,
      chunksWritten: 0,
      chunksReplaced: 0,
    });
    const row = await readSection(db, f.leadId, "overview");
    assert.ok(row);
    assert.equal(row.id, res.sectionRowId);
    assert.deepEqual(row.content, { summary: "Relaunch of acme.example", pages: 120 });
    assert.equal(row.confidence, 70);
    assert.deepEqual(row.sources, ["rfp.pdf", "call-notes.md"]);
  });

  test("a re-run replaces content, confidence, sources and the chunks", async () => {
    const first = await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "budget",
      content: { amount: 100000 },
      confidence: 40,
      sources: ["a"],
      chunks: ["one", "two", "three"],
      embeddings: [makeEmbedding(8, 1), makeEmbedding(8, 2), makeEmbedding(8, 3)],
    });
    assert.equal(first.created, true);
    assert.equal(first.chunksWritten, 3);
    const before = await readSection(db, f.leadId, "budget");

    const second = await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "budget",
      content: { amount: 250000, currency: "EUR" },
      confidence: null,
      sources: null,
      chunks: ["only"],
      embeddings: [makeEmbedding(8, 4)],
    });
    assert.deepEqual(second, {
      sectionRowId: first.sectionRowId,
      rfpId: f.rfpId,
      created: false,
      chunksWritten: 1,
      chunksReplaced: 3,
    });
    const row = await readSection(db, f.leadId, "budget");
    assert.ok(row && before);
    assert.deepEqual(row.content, { amount: 250000, currency: "EUR" });
    assert.equal(row.confidence, null);
    assert.equal(row.sources, null);
    assert.ok(row.updatedAt.getTime() >= before.updatedAt.getTime());
    assert.equal(row.createdAt.getTime(), before.createdAt.getTime());
    const chunks = await readChunks(db, f.leadId, "budget");
    assert.deepEqual(
      chunks.map((c) => [c.chunkIndex, c.content]),
      [[0, "only"]],
    );
  });

  test("a 3072-float Float32Array embedding round-trips bit for bit", async () => {
    const emb = makeEmbedding(3072, 42);
    const res = await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "technology",
      content: { cms: "Drupal" },
      chunks: ["Drupal 7 site, 40 content types"],
      embeddings: [emb],
    });
    assert.equal(res.chunksWritten, 1);
    const [chunk] = await readChunks(db, f.leadId, "technology");
    assert.ok(chunk);
    assert.equal(chunk.ndims, 1);
    assert.equal(chunk.dim, 3072);
    assert.ok(chunk.bits.equals(float32BitsBE(emb)), "stored float4 bits differ from the Float32Array's");
    // -0 and the smallest subnormal survive
    assert.ok(chunk.bits.includes(Buffer.from([0x80, 0, 0, 0])));
    assert.ok(chunk.bits.includes(Buffer.from([0, 0, 0, 1])));
  });

  test("number[] rows are stored as their float32 values (Math.fround)", async () => {
    const rows = [0, 1].map((seed) => Array.from({ length: 3072 }, (_, i) => Math.sin(i * 0.37 + seed) / 3));
    await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "hosting",
      content: {},
      chunks: ["AWS eu-central-1", "managed Kubernetes"],
      embeddings: rows,
    });
    const chunks = await readChunks(db, f.leadId, "hosting");
    assert.equal(chunks.length, 2);
    chunks.forEach((c, r) => {
      assert.equal(c.dim, 3072);
      assert.ok(c.bits.equals(float32BitsBE(rows[r]!.map(Math.fround))), `row ${r}`);
    });
  });

  for (const n of [1, 13, 50]) {
    test(`2-D embeddings: ${n} chunks x 3072 as Float32Array[]`, async () => {
      const sectionId = `chunks-${n}`;
      const texts = Array.from({ length: n }, (_, i) => `chunk ${i} of ${n}`);
      const embs = texts.map((_, i) => makeEmbedding(3072, n * 1000 + i));
      const res = await storeSectionResult(db, {
        leadId: f.leadId,
        sectionId,
        content: { n },
        confidence: 55,
        sources: ["s1"],
        chunks: texts,
        embeddings: embs,
      });
      assert.equal(res.chunksWritten, n);
      assert.equal(res.chunksReplaced, 0);
      const chunks = await readChunks(db, f.leadId, sectionId);
      assert.equal(chunks.length, n);
      chunks.forEach((c, i) => {
        assert.equal(c.chunkIndex, i);
        assert.equal(c.content, texts[i]);
        assert.equal(c.agentName, `deep-scan-${sectionId}`);
        assert.equal(c.chunkType, "analysis");
        assert.equal(c.rfpId, f.rfpId);
        assert.deepEqual(c.metadata, { sectionId, leadId: f.leadId, confidence: 55, sources: ["s1"] });
        assert.equal(c.ndims, 1);
        assert.ok(c.bits.equals(float32BitsBE(embs[i]!)), `chunk ${i} embedding bits`);
      });
    });
  }

  test("2-D embeddings: 13 chunks as number[][] equal the Float32Array[] form", async () => {
    const embs = Array.from({ length: 13 }, (_, i) => makeEmbedding(64, 7000 + i));
    const texts = embs.map((_, i) => `c${i}`);
    await storeSectionResult(db, { leadId: f.leadId, sectionId: "as-f32", content: {}, chunks: texts, embeddings: embs });
    await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "as-numbers",
      content: {},
      chunks: texts,
      embeddings: embs.map((e) => Array.from(e)),
    });
    const a = await readChunks(db, f.leadId, "as-f32");
    const b = await readChunks(db, f.leadId, "as-numbers");
    assert.equal(a.length, 13);
    assert.deepEqual(
      a.map((c) => c.bits.toString("hex")),
      b.map((c) => c.bits.toString("hex")),
    );
  });

  test("one Float32Array holding n x d values is taken row-major", async () => {
    const block = new Float32Array([1, 2, 3, 4, 5, 6]);
    const res = await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "block",
      content: {},
      chunks: ["a", "b"],
      embeddings: block,
    });
    assert.equal(res.chunksWritten, 2);
    const chunks = await readChunks(db, f.leadId, "block");
    assert.deepEqual(
      chunks.map((c) => c.bits.toString("hex")),
      [float32BitsBE([1, 2, 3]).toString("hex"), float32BitsBE([4, 5, 6]).toString("hex")],
    );
  });

  test("a Float32Array view into a larger buffer sends only its own values", async () => {
    const big = new Float32Array([9, 9, 1.5, 2.5, 9]);
    const view = big.subarray(2, 4);
    await storeSectionResult(db, { leadId: f.leadId, sectionId: "view", content: {}, chunks: ["x"], embeddings: [view] });
    await storeSectionResult(db, { leadId: f.leadId, sectionId: "view-flat", content: {}, chunks: ["x"], embeddings: view });
    for (const sectionId of ["view", "view-flat"]) {
      const [c] = await readChunks(db, f.leadId, sectionId);
      assert.ok(c && c.bits.equals(float32BitsBE([1.5, 2.5])), sectionId);
    }
  });

  test("chunkType and agentName are passed through", async () => {
    await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "risks",
      content: {},
      chunks: ["r"],
      embeddings: [new Float32Array([0.5])],
      chunkType: "summary",
      agentName: "risk-agent",
    });
    const [c] = await readChunks(db, f.leadId, "risks");
    assert.ok(c);
    assert.equal(c.chunkType, "summary");
    assert.equal(c.agentName, "risk-agent");
  });

  test("no chunks (empty arrays) removes the section's old chunks", async () => {
    await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "timeline",
      content: { v: 1 },
      chunks: ["a", "b"],
      embeddings: [new Float32Array([1]), new Float32Array([2])],
    });
    const res = await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "timeline",
      content: { v: 2 },
      chunks: [],
      embeddings: [],
    });
    assert.equal(res.chunksWritten, 0);
    assert.equal(res.chunksReplaced, 2);
    assert.equal(await countChunks(db, f.leadId, "timeline"), 0);
  });

  test("chunk texts with quotes, backslashes, braces, commas, NULL-like words and unicode arrive exactly", async () => {
    const texts = [
      'He said "hi", then left',
      "C:\\path\\to\\file",
      "{not,an,array}",
      "NULL",
      "",
      "  leading and trailing  ",
      "multi\nline\ttext",
      "Umlaute äöü, emoji 🚀, CJK 漢字",
    ];
    await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "texts",
      content: {},
      chunks: texts,
      embeddings: texts.map((_, i) => new Float32Array([i])),
    });
    const chunks = await readChunks(db, f.leadId, "texts");
    assert.deepEqual(
      chunks.map((c) => c.content),
      texts,
    );
  });

  test("JSON content and sources round-trip through ::jsonb", async () => {
    const content = {
      text: 'quotes " and \\ backslash',
      nested: { list: [1, 2.5, null, true, "x"], empty: {} },
      unicode: "€ 🚀",
    };
    await storeSectionResult(db, {
      leadId: f.leadId,
      sectionId: "competition",
      content,
      sources: ['with "quote"', "ümlaut"],
    });
    const row = await readSection(db, f.leadId, "competition");
    assert.ok(row);
    assert.deepEqual(row.content, content);
    assert.deepEqual(row.sources, ['with "quote"', "ümlaut"]);
  });

  test("ragged embeddings: TypeError before anything is sent", async () => {
    await assert.rejects(
      storeSectionResult(db, {
        leadId: f.leadId,
        sectionId: "ragged",
        content: {},
        chunks: ["a", "b", "c"],
        embeddings: [new Float32Array(4), new Float32Array(4), new Float32Array(3)],
      }),
      (err: unknown) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /row 0 has 4 values, row 2 has 3/);
        return true;
      },
    );
    await assert.rejects(
      storeSectionResult(db, {
        leadId: f.leadId,
        sectionId: "ragged",
        content: {},
        chunks: ["a", "b"],
        embeddings: [[1, 2], [3]],
      }),
      TypeError,
    );
    await assert.rejects(
      storeSectionResult(db, {
        leadId: f.leadId,
        sectionId: "ragged",
        content: {},
        chunks: ["a"],
        embeddings: [[1, "2" as unknown as number]],
      }),
      /element 1 is not a number/,
    );
    assert.equal(await readSection(db, f.leadId, "ragged"), undefined);
  });

});

describe("packEmbeddings", () => {
  test("packs rows as little-endian float32, row-major", () => {
    const buf = packEmbeddings([new Float32Array([1, -2]), [0.5, 3]]);
    assert.ok(buf);
    const expected = Buffer.alloc(16);
    [1, -2, 0.5, 3].forEach((v, i) => expected.writeFloatLE(v, i * 4));
    assert.ok(buf.equals(expected));
  });

  test("no embeddings packs to null", () => {
    assert.equal(packEmbeddings(null), null);
    assert.equal(packEmbeddings(undefined), null);
    assert.equal(packEmbeddings([]), null);
  });
});

describe("values as applications send them (0.2.0)", () => {
  test("a fractional confidence is rounded half away from zero", async () => {
    const cases: Array<[number, number]> = [
      [8.571428571428571, 9],
      [85.5, 86],
      [85.49, 85],
      [0.5, 1],
      [0.4, 0],
      [-0.4, 0],
      [100.4, 100],
      [99.5, 100],
    ];
    for (const [given, stored] of cases) {
      const sectionId = `conf-${given}`;
      await storeSectionResult(db, {
        leadId: f.leadId,
        sectionId,
        content: {},
        confidence: given,
        chunks: ["c"],
        embeddings: [[1]],
      });
      assert.equal((await readSection(db, f.leadId, sectionId))?.confidence, stored, `${given}`);
      const [chunk] = await readChunks(db, f.leadId, sectionId);
      assert.equal((chunk!.metadata as { confidence: unknown }).confidence, stored, `chunk metadata for ${given}`);
    }
  });

  test("a confidence outside 0..100 after rounding, NaN or infinite: InvalidArgumentError 22023, nothing written", async () => {
    for (const confidence of [100.5, -0.5, -1, 101, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const sectionId = `bad-conf-${confidence}`;
      const err = await storeSectionResult(db, { leadId: f.leadId, sectionId, content: {}, confidence }).then(
        () => assert.fail(`confidence ${confidence} was accepted`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof InvalidArgumentError, `${confidence}: ${String(err)}`);
      assert.equal(err.code, "22023");
      assert.equal(await readSection(db, f.leadId, sectionId), undefined);
    }
  });

  test("sources may be any JSON array or object", async () => {
    const cases: unknown[] = [
      ["rfp.pdf", "call-notes.md"],
      [],
      [1, null, { page: 4 }, ["nested"]],
      { agentName: "technology-synthesizer", generatedAt: "2026-11-30T12:00:00Z", chunks: [{ id: 1, score: 0.93 }] },
      {},
    ];
    let i = 0;
    for (const sources of cases) {
      const sectionId = `sources-${i++}`;
      await storeSectionResult(db, {
        leadId: f.leadId,
        sectionId,
        content: {},
        sources: sources as SectionSources,
        chunks: ["c"],
        embeddings: [[1]],
      });
      assert.deepEqual((await readSection(db, f.leadId, sectionId))?.sources, sources);
      const [chunk] = await readChunks(db, f.leadId, sectionId);
      assert.deepEqual((chunk!.metadata as { sources: unknown }).sources, sources, "chunk metadata");
    }
  });

  test("sources as a JSON scalar: InvalidArgumentError 22023, nothing written", async () => {
    for (const sources of ["rfp.pdf", 42, true]) {
      const sectionId = `scalar-sources-${String(sources)}`;
      const err = await storeSectionResult(db, {
        leadId: f.leadId,
        sectionId,
        content: {},
        sources: sources as unknown as SectionSources,
      }).then(
        () => assert.fail(`sources ${JSON.stringify(sources)} was accepted`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof InvalidArgumentError, String(err));
      assert.equal(err.code, "22023");
      assert.equal(await readSection(db, f.leadId, sectionId), undefined);
    }
  });
});
