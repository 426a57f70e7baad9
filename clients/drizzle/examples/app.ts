// An application using the installed package: tables from the factory,
// leadstore's settings from the same mapping, and every kind of call.
// (clients/drizzle/examples/app.ts; the client test suite packs the package,
// installs it into a scratch project, type-checks this file there and runs
// it against the test database.)
//
//   LEADSTORE_URL=postgresql://... node app.js   -> prints a JSON summary
import { randomUUID } from "node:crypto";

import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";

import {
  beginDeepScan,
  finishDeepScan,
  leadstoreConnectionOptions,
  leadstoreTables,
  LockNotAvailableError,
  NotACmsOfBusinessUnitError,
  selectCmsIf,
  StaleRunError,
  storeChunks,
  storeSectionResult,
  type DeepScanRun,
  type LeadstoreMapping,
} from "@leadstore/drizzle";

// Your tables' names, if they differ from the reference data model's, e.g.
//   { tableNames: { leads: "pitches" }, columnNames: { lead_section_data: { lead_id: "pitch_id" } } }
const mapping: LeadstoreMapping = {};
const tables = leadstoreTables(mapping);
const { businessUnits, technologies, rfps, leads, leadSectionData, rfpEmbeddings } = tables;

const pool = new pg.Pool({
  connectionString: process.env.LEADSTORE_URL,
  // leadstore's settings for the mapping, plus limits so that nothing waits forever
  options: `${leadstoreConnectionOptions(mapping)} -c lock_timeout=10s -c statement_timeout=30s`,
});
const db = drizzle({ client: pool, schema: tables });

/** Stand-in for an embedding model: one Float32Array per text. */
function embed(texts: string[]): Float32Array[] {
  return texts.map((text) => Float32Array.from({ length: 8 }, (_, i) => (text.length + i) / 10));
}

async function main(): Promise<Record<string, unknown>> {
  const id = (p: string) => `${p}-${randomUUID()}`;
  const buId = id("bu");
  const cmsId = id("cms");
  const rfpId = id("rfp");
  const leadId = id("lead");
  await db.insert(businessUnits).values({ id: buId, name: "Digital Experience" });
  await db.insert(technologies).values({ id: cmsId, name: "Drupal", businessUnitId: buId, category: "CMS" });
  await db.insert(rfps).values({ id: rfpId, title: "Website relaunch" });
  await db.insert(leads).values({ id: leadId, rfpId, businessUnitId: buId, customerName: "ACME AG" });

  try {
    // A deep-scan run: keep the token and always pass it back.
    const run: DeepScanRun = await beginDeepScan(db, { leadId });
    if (!run.transitioned) throw new Error("another runner owns the scan");

    const chunks = ["The customer runs Drupal 7.", "Editors need a review workflow."];
    const section = await db.transaction((tx) =>
      storeSectionResult(tx, {
        leadId,
        sectionId: "technology",
        content: { summary: "Drupal 7 to 11 migration" },
        confidence: 8.571428571428571, // rounded by the server: 9
        sources: { agentName: "technology-synthesizer", generatedAt: new Date().toISOString() },
        chunks,
        embeddings: embed(chunks),
      }),
    );

    // A sub-agent's chunks: replaced on every run, never appended.
    const legal = ["Liability is capped at the order value."];
    await storeChunks(db, { leadId, agentName: "legal-check", chunks: legal, embeddings: embed(legal) });
    const legalAgain = await storeChunks(db, { leadId, agentName: "legal-check", chunks: legal, embeddings: embed(legal) });

    let cms: string;
    try {
      const selection = await selectCmsIf(db, { leadId, expectedCmsId: null, cmsId, nowait: true });
      cms = selection.changed ? "selected" : "kept";
    } catch (err) {
      if (err instanceof LockNotAvailableError) cms = "busy";
      else if (err instanceof NotACmsOfBusinessUnitError) cms = "rejected";
      else throw err;
    }

    const finished = await finishDeepScan(db, { leadId, startedAt: run.runToken, outcome: "completed" });
    let lateFinish = "finished";
    try {
      await finishDeepScan(db, { leadId, startedAt: run.runToken, outcome: "failed", error: "late" });
    } catch (err) {
      if (err instanceof StaleRunError) lateFinish = "stale";
      else throw err;
    }

    const [lead] = await db.select().from(leads).where(eq(leads.id, leadId));
    const [row] = await db.select().from(leadSectionData).where(eq(leadSectionData.leadId, leadId));
    const chunkRows = await db.select().from(rfpEmbeddings).where(eq(rfpEmbeddings.leadId, leadId));
    return {
      sectionCreated: section.created,
      chunksWritten: section.chunksWritten,
      confidence: row?.confidence,
      legalReplaced: legalAgain.chunksReplaced,
      chunkRows: chunkRows.length,
      cms,
      selectedCmsIsOurs: lead?.selectedCmsId === cmsId,
      status: finished.status,
      lateFinish,
      deepScanError: lead?.deepScanError ?? null,
    };
  } finally {
    await db.delete(leads).where(eq(leads.id, leadId)); // cascades to sections and chunks
    await db.delete(technologies).where(eq(technologies.id, cmsId));
    await db.delete(rfps).where(eq(rfps.id, rfpId));
    await db.delete(businessUnits).where(eq(businessUnits.id, buId));
  }
}

main()
  .then((summary) => console.log(JSON.stringify(summary)))
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => pool.end());
