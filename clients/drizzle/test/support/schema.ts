// The reference data model (sql/leadstore_data_model.sql) as Drizzle tables,
// the way an application declares it; the tests read their rows through it.
import { boolean, integer, jsonb, pgTable, real, text, timestamp } from "drizzle-orm/pg-core";

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const businessUnits = pgTable("business_units", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

export const technologies = pgTable("technologies", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  businessUnitId: text("business_unit_id").notNull(),
  category: text("category"),
  isDefault: boolean("is_default").notNull().default(false),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

export const rfps = pgTable("rfps", {
  id: text("id").primaryKey(),
  title: text("title"),
  createdAt: tstz("created_at").notNull().defaultNow(),
});

export const leads = pgTable("leads", {
  id: text("id").primaryKey(),
  rfpId: text("rfp_id").notNull(),
  businessUnitId: text("business_unit_id").notNull(),
  customerName: text("customer_name").notNull(),
  deepScanStatus: text("deep_scan_status").notNull().default("pending"),
  deepScanStartedAt: tstz("deep_scan_started_at"),
  deepScanCompletedAt: tstz("deep_scan_completed_at"),
  selectedCmsId: text("selected_cms_id"),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

export const leadSectionData = pgTable("lead_section_data", {
  id: text("id").primaryKey(),
  leadId: text("lead_id").notNull(),
  sectionId: text("section_id").notNull(),
  content: jsonb("content").notNull(),
  confidence: integer("confidence"),
  sources: jsonb("sources").$type<string[] | null>(),
  createdAt: tstz("created_at").notNull(),
  updatedAt: tstz("updated_at").notNull(),
});

export const rfpEmbeddings = pgTable("rfp_embeddings", {
  id: text("id").primaryKey(),
  rfpId: text("rfp_id").notNull(),
  leadId: text("lead_id"),
  sectionId: text("section_id"),
  agentName: text("agent_name").notNull(),
  chunkType: text("chunk_type").notNull(),
  chunkIndex: integer("chunk_index").notNull(),
  content: text("content").notNull(),
  metadata: jsonb("metadata"),
  embedding: real("embedding").array().notNull(),
  createdAt: tstz("created_at").notNull(),
});
