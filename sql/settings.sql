--
-- settings: leadstore.data_schema and leadstore.embedding_dimensions; the
-- data-model checks (42P01/42703); kept plans across DDL and search_path
--
\set SHOW_CONTEXT never
\set VERBOSITY default

-- the settings exist once the library is loaded (any leadstore call loads it)
LOAD 'leadstore';
SHOW leadstore.data_schema;
SHOW leadstore.embedding_dimensions;

-- embedding_dimensions: when > 0 every embedding must have that many floats
SET leadstore.embedding_dimensions = 3;
SELECT snapshot();
SELECT * FROM leadstore.store_section_result('lead-1', 'dims', '{}',
	chunks => ARRAY['a'], embeddings => '{1,2}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'dims', '{}',
	chunks => ARRAY['a'], embeddings_packed => '\x0000803f0000803f0000803f0000803f');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();
SELECT chunks_written FROM leadstore.store_section_result('lead-1', 'dims', '{}',
	chunks => ARRAY['a'], embeddings => '{1,2,3}');
RESET leadstore.embedding_dimensions;
SET leadstore.embedding_dimensions = 16001;
SET leadstore.embedding_dimensions = -1;
SHOW leadstore.embedding_dimensions;

-- data_schema must be a non-empty name shorter than NAMEDATALEN
SET leadstore.data_schema = '';
SET leadstore.data_schema = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
SHOW leadstore.data_schema;
-- other settings under the reserved prefix are refused
SET leadstore.no_such_setting = 1;

-- a second schema holding the data model, with a name that needs quoting
CREATE SCHEMA "Tenant Two";
SET search_path = "Tenant Two";
\set ECHO none
\i sql/leadstore_data_model.sql
\set ECHO all
RESET search_path;
INSERT INTO "Tenant Two".business_units (id, name) VALUES ('bu-1', 'Digital');
INSERT INTO "Tenant Two".technologies (id, name, business_unit_id, category)
VALUES ('cms-t', 'Tenant CMS', 'bu-1', 'CMS');
INSERT INTO "Tenant Two".rfps (id) VALUES ('rfp-t');
INSERT INTO "Tenant Two".leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('lead-t', 'rfp-t', 'bu-1', 'Tenant');

-- the public tables know no lead-t ...
SELECT * FROM leadstore.select_cms('lead-t', 'cms-t');
\echo :LAST_ERROR_SQLSTATE
-- ... the tenant's do
SET leadstore.data_schema = 'Tenant Two';
SELECT rfp_id, created, chunks_written FROM leadstore.store_section_result(
	'lead-t', 'overview', '{}', chunks => ARRAY['t'], embeddings => '{1}');
SELECT * FROM leadstore.select_cms('lead-t', 'cms-t');
SELECT status, transitioned FROM leadstore.begin_deep_scan('lead-t');
SELECT lead_id, section_id, rfp_id FROM "Tenant Two".rfp_embeddings;
SELECT count(*) AS public_rows FROM public.rfp_embeddings WHERE lead_id = 'lead-t';
-- and back: the plans of each schema are kept apart
RESET leadstore.data_schema;
SELECT * FROM leadstore.select_cms('lead-1', 'cms-wp');
SET leadstore.data_schema = 'Tenant Two';
SELECT * FROM leadstore.clear_cms_selection('lead-t');
RESET leadstore.data_schema;

-- ALTER DATABASE ... SET applies to new sessions
DO $$ BEGIN
	EXECUTE format('ALTER DATABASE %I SET leadstore.data_schema = %L',
				   current_database(), 'Tenant Two');
END $$;
\c
\set SHOW_CONTEXT never
\set VERBOSITY default
SHOW leadstore.data_schema;
SELECT * FROM leadstore.select_cms('lead-t', 'cms-t');
DO $$ BEGIN
	EXECUTE format('ALTER DATABASE %I RESET leadstore.data_schema',
				   current_database());
END $$;
\c
\set SHOW_CONTEXT never
\set VERBOSITY default
LOAD 'leadstore';
SHOW leadstore.data_schema;

-- a hostile search_path with look-alike tables changes nothing
CREATE SCHEMA lookalike;
CREATE TABLE lookalike.leads (LIKE public.leads);
CREATE TABLE lookalike.lead_section_data (LIKE public.lead_section_data);
CREATE TABLE lookalike.rfp_embeddings (LIKE public.rfp_embeddings);
INSERT INTO lookalike.leads SELECT * FROM public.leads;
UPDATE lookalike.leads SET rfp_id = 'rfp-evil';
SET search_path = lookalike, pg_catalog;
SELECT rfp_id, chunks_written FROM leadstore.store_section_result('lead-2',
	'lookalike', '{}', chunks => ARRAY['l'], embeddings => '{1}');
SELECT * FROM leadstore.select_cms('lead-2', 'cms-drupal');
RESET search_path;
SELECT (SELECT count(*) FROM lookalike.lead_section_data) AS lookalike_sections,
	   (SELECT count(*) FROM lookalike.rfp_embeddings) AS lookalike_chunks,
	   (SELECT count(*) FROM public.rfp_embeddings WHERE section_id = 'lookalike') AS public_chunks;
DROP SCHEMA lookalike CASCADE;

-- DDL on the tables: the kept plans go on working
ALTER TABLE rfp_embeddings ADD COLUMN note text;
ALTER TABLE lead_section_data ADD COLUMN reviewed boolean NOT NULL DEFAULT false;
ALTER TABLE leads ADD COLUMN priority integer;
SELECT created, chunks_written, chunks_replaced FROM leadstore.store_section_result(
	'lead-1', 'dims', '{}', chunks => ARRAY['a', 'b'], embeddings => '{{1},{2}}');
SELECT * FROM leadstore.select_cms('lead-1', 'cms-drupal');
DROP INDEX rfp_embeddings_lead_id_section_id_idx;
CREATE INDEX rfp_embeddings_lead_id_section_id_idx
	ON rfp_embeddings (lead_id, section_id);
ALTER TABLE rfp_embeddings DROP COLUMN note;
ALTER TABLE lead_section_data DROP COLUMN reviewed;
ALTER TABLE leads DROP COLUMN priority;
SELECT created, chunks_written, chunks_replaced FROM leadstore.store_section_result(
	'lead-1', 'dims', '{}', chunks => ARRAY['c'], embeddings => '{3}');
SELECT * FROM leadstore.select_cms('lead-1', 'cms-aem');

-- 42P01: the data schema does not exist, or lacks a table
SET leadstore.data_schema = 'no_such_schema';
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}');
\echo :LAST_ERROR_SQLSTATE
CREATE SCHEMA empty_schema;
SET leadstore.data_schema = 'empty_schema';
SELECT * FROM leadstore.select_cms('lead-1', 'cms-wp');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.begin_deep_scan('lead-1');
\echo :LAST_ERROR_SQLSTATE
CREATE VIEW empty_schema.leads AS SELECT * FROM public.leads;
SELECT * FROM leadstore.select_cms('lead-1', 'cms-wp');
\echo :LAST_ERROR_SQLSTATE

-- the tenant schema loses a table after its plans were kept
SET leadstore.data_schema = 'Tenant Two';
ALTER TABLE "Tenant Two".rfp_embeddings RENAME TO rfp_embeddings_old;
SELECT * FROM leadstore.store_section_result('lead-t', 'overview', '{}');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE "Tenant Two".rfp_embeddings_old RENAME TO rfp_embeddings;
SELECT created, chunks_replaced FROM leadstore.store_section_result(
	'lead-t', 'overview', '{}');

-- 42703: a column is missing
ALTER TABLE "Tenant Two".leads DROP COLUMN selected_cms_id;
SELECT * FROM leadstore.select_cms('lead-t', 'cms-t');
\echo :LAST_ERROR_SQLSTATE
-- (every statement checks its tables when it is prepared, also one that
-- was never used before in this session)
SELECT * FROM leadstore.clear_cms_selection('lead-t');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE "Tenant Two".leads ADD COLUMN selected_cms_id text;
-- 42804: a column of a type that cannot take the value (more: test types)
ALTER TABLE "Tenant Two".lead_section_data
	DROP CONSTRAINT lead_section_data_confidence_check,
	ALTER COLUMN confidence TYPE boolean USING NULL;
SELECT * FROM leadstore.store_section_result('lead-t', 'overview', '{}');
\echo :LAST_ERROR_SQLSTATE
RESET leadstore.data_schema;
DROP SCHEMA empty_schema CASCADE;
DROP SCHEMA "Tenant Two" CASCADE;
