--
-- plans: leadstore prepares each statement once per backend and data schema
-- (and table and column mapping: test plan_cache) and keeps it.  PostgreSQL
-- builds a generic plan ("CachedPlan") only for a plan source executed five
-- times or more, so a kept plan source with a generic plan after eight calls
-- shows reuse across calls; one plan source per statement shows that nothing
-- is prepared again.  Kept plans show in pg_backend_memory_contexts with
-- their statement text as ident.
--
\set SHOW_CONTEXT never

-- no autoanalyze during this test: it would invalidate plans mid-count
ALTER TABLE leads SET (autovacuum_enabled = false);
ALTER TABLE technologies SET (autovacuum_enabled = false);
ALTER TABLE lead_section_data SET (autovacuum_enabled = false);
ALTER TABLE rfp_embeddings SET (autovacuum_enabled = false);

CREATE VIEW kept_plans AS
SELECT split_part(ident, ' ', 1) || ' ' ||
	   substring(ident FROM '(?:FROM|INTO|UPDATE) ((?:"[^"]*"|[a-z_]+)\.[a-z_]+)') ||
	   coalesce(' ' || substring(ident FROM 'FOR (?:NO KEY UPDATE|SHARE).*$'), '') AS statement,
	   count(*) FILTER (WHERE name = 'CachedPlanSource') AS plan_sources,
	   count(*) FILTER (WHERE name = 'CachedPlan') AS generic_plans
FROM pg_backend_memory_contexts
WHERE ident ~ '^(SELECT|INSERT|UPDATE|DELETE) '
  AND ident ~ '(^UPDATE|FROM|INTO) ("Tenant Three"|public)\.[a-z_]+ '
  AND ident !~ 'FROM ONLY'	-- the foreign keys' own kept plans
GROUP BY 1
ORDER BY 1;

-- eight stores and eight selections (alternating, so each one writes); the
-- arguments depend on i, or the function would run once and be rescanned.
-- A selection locks the lead and the technology in one statement and
-- updates the lead in another
SELECT count(*) AS calls FROM generate_series(1, 8) i,
	LATERAL leadstore.store_section_result('lead-1', 'plans', to_jsonb(i),
		chunks => ARRAY['a'], embeddings => '{1}') r;
SELECT count(*) AS calls FROM generate_series(1, 8) i,
	LATERAL leadstore.select_cms('lead-2',
		CASE WHEN i % 2 = 0 THEN 'cms-drupal' ELSE 'cms-aem' END) r;
SELECT * FROM kept_plans;

-- more calls prepare nothing again
SELECT count(*) AS calls FROM generate_series(1, 8) i,
	LATERAL leadstore.store_section_result('lead-1', 'plans', to_jsonb(i),
		chunks => ARRAY['a', 'b', 'c'], embeddings => '{{1},{2},{3}}') r;
SELECT * FROM kept_plans;

-- DDL invalidates the plans on that table: each is freed and prepared again
-- (after re-checking the table), never kept twice
ALTER TABLE rfp_embeddings ADD COLUMN plans_note text;
SELECT count(*) AS calls FROM generate_series(1, 8) i,
	LATERAL leadstore.store_section_result('lead-1', 'plans', to_jsonb(i),
		chunks => ARRAY['a'], embeddings => '{1}') r;
SELECT * FROM kept_plans;
ALTER TABLE rfp_embeddings DROP COLUMN plans_note;

-- another data schema gets plans of its own; the first schema's stay
CREATE SCHEMA "Tenant Three";
SET search_path = "Tenant Three";
\set ECHO none
\i sql/leadstore_data_model.sql
\set ECHO all
RESET search_path;
INSERT INTO "Tenant Three".business_units (id, name) VALUES ('bu-1', 'Digital');
INSERT INTO "Tenant Three".rfps (id) VALUES ('rfp-t');
INSERT INTO "Tenant Three".leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('lead-t', 'rfp-t', 'bu-1', 'Tenant');
SET leadstore.data_schema = 'Tenant Three';
SELECT count(*) AS calls FROM generate_series(1, 8) i,
	LATERAL leadstore.store_section_result('lead-t', 'plans', to_jsonb(i)) r;
RESET leadstore.data_schema;
SELECT * FROM kept_plans;

DROP SCHEMA "Tenant Three" CASCADE;
DROP VIEW kept_plans;
DELETE FROM rfp_embeddings WHERE section_id = 'plans';
DELETE FROM lead_section_data WHERE section_id = 'plans';
ALTER TABLE leads RESET (autovacuum_enabled);
ALTER TABLE technologies RESET (autovacuum_enabled);
ALTER TABLE lead_section_data RESET (autovacuum_enabled);
ALTER TABLE rfp_embeddings RESET (autovacuum_enabled);
