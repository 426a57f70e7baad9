// The reference data model (sql/leadstore_data_model.sql) as Drizzle tables,
// made by the package's own factory with the default (logical) names; the
// tests read their rows through it.
import { leadstoreTables } from "../../src/tables.js";

export const { businessUnits, technologies, rfps, leads, leadSectionData, rfpEmbeddings } = leadstoreTables();
