// Store a deep-scan section with its RAG chunks, then pick a CMS for the lead.
// (clients/drizzle/examples/usage.ts; the client test suite runs it.)
import {
  LockNotAvailableError,
  NotACmsOfBusinessUnitError,
  selectCmsIf,
  storeSectionResult,
  type CmsSelection,
  type LeadstoreDb,
  type SectionWrite,
} from "../src/leadstore.js";

/** Your embedding model: one vector (e.g. 3072 floats) per text. */
export type Embed = (texts: string[]) => Promise<Float32Array[]>;

export type ExampleOutcome =
  | { kind: "selected" | "kept"; selection: CmsSelection }
  | { kind: "busy" } // another request holds the lead: retry later
  | { kind: "rejected"; reason: string }; // not a CMS of the lead's business unit

export async function storeSectionAndPickCms(
  db: LeadstoreDb,
  ids: { leadId: string; cmsId: string },
  embed: Embed,
): Promise<{ section: SectionWrite; outcome: ExampleOutcome }> {
  const chunks = [
    "The customer runs Drupal 7 and must migrate before its end of life.",
    "Editors need a multilingual review workflow.",
  ];
  // Call the model before the transaction: no locks held while it runs.
  const embeddings = await embed(chunks);

  // The section row and its chunks commit (or roll back) with everything
  // else this step writes through tx.
  const section = await db.transaction(async (tx) => {
    const written = await storeSectionResult(tx, {
      leadId: ids.leadId,
      sectionId: "technology",
      content: { summary: "Drupal 7 to Drupal 11 migration", cms: ["Drupal"] },
      confidence: 80,
      sources: ["rfp.pdf#page=4"],
      chunks,
      embeddings, // Float32Array[]: sent as packed little-endian float32 bytea
    });
    // ... more writes of this step with tx ...
    return written;
  });

  // Optimistic UI: select only if nothing was selected meanwhile.
  try {
    const selection = await selectCmsIf(db, {
      leadId: ids.leadId,
      expectedCmsId: null,
      cmsId: ids.cmsId,
      nowait: true,
    });
    return { section, outcome: { kind: selection.changed ? "selected" : "kept", selection } };
  } catch (err) {
    if (err instanceof LockNotAvailableError) return { section, outcome: { kind: "busy" } };
    if (err instanceof NotACmsOfBusinessUnitError)
      return { section, outcome: { kind: "rejected", reason: err.message } };
    throw err; // LeadNotFoundError, TechnologyNotFoundError, ...
  }
}
