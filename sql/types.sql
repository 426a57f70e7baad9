--
-- types: the column types leadstore accepts on the application's tables,
-- and 42804 for a column that cannot take what leadstore writes (or give
-- back what it reads), naming the column, its type and what leadstore
-- needs.  Schema typed holds the reference model; each case changes the
-- type of one column, calls, and shows what was stored.  (Every ALTER
-- invalidates the kept plans on that table: they are rebuilt and the table
-- checked again at the next call.)
--
\set SHOW_CONTEXT never
\set VERBOSITY default

CREATE SCHEMA typed;
SET search_path = typed;
\set ECHO none
\i sql/leadstore_data_model.sql
\set ECHO all
RESET search_path;
INSERT INTO typed.business_units (id, name) VALUES ('bu-1', 'Digital');
INSERT INTO typed.technologies (id, name, business_unit_id, category, is_default)
VALUES ('cms-1', 'CMS one', 'bu-1', 'CMS', true), ('cms-2', 'CMS two', 'bu-1', 'CMS', false);
INSERT INTO typed.rfps (id) VALUES ('rfp-t');
INSERT INTO typed.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('lead-t', 'rfp-t', 'bu-1', 'Typed');
SET leadstore.data_schema = 'typed';

-- the stored confidence and chunk_index of a section, with their types (a
-- function, not a view: a view would block ALTER COLUMN ... TYPE)
CREATE FUNCTION typed.stored(section text)
RETURNS TABLE (confidence text, confidence_type text, chunk_indexes text,
			   chunk_index_type text)
LANGUAGE sql AS $$
	SELECT s.confidence::text, pg_typeof(s.confidence)::text,
		   string_agg(e.chunk_index::text, ',' ORDER BY e.chunk_index),
		   min(pg_typeof(e.chunk_index)::text)
	FROM typed.lead_section_data s
	LEFT JOIN typed.rfp_embeddings e ON e.lead_id = s.lead_id AND e.section_id = s.section_id
	WHERE s.section_id = section
	GROUP BY s.confidence
$$;

--
-- confidence and chunk_index: integer (the reference), smallint, bigint,
-- numeric, real; the rounded confidence goes into each
--
SELECT created FROM leadstore.store_section_result('lead-t', 'integer', '{}',
	8.571, chunks => ARRAY['a', 'b'], embeddings => '{{1},{2}}');
SELECT * FROM typed.stored('integer');
ALTER TABLE typed.lead_section_data ALTER COLUMN confidence TYPE smallint;
ALTER TABLE typed.rfp_embeddings ALTER COLUMN chunk_index TYPE smallint;
SELECT created FROM leadstore.store_section_result('lead-t', 'smallint', '{}',
	8.571, chunks => ARRAY['a', 'b'], embeddings => '{{1},{2}}');
SELECT * FROM typed.stored('smallint');
ALTER TABLE typed.lead_section_data ALTER COLUMN confidence TYPE bigint;
ALTER TABLE typed.rfp_embeddings ALTER COLUMN chunk_index TYPE bigint;
SELECT created FROM leadstore.store_section_result('lead-t', 'bigint', '{}',
	8.571, chunks => ARRAY['a', 'b'], embeddings => '{{1},{2}}');
SELECT * FROM typed.stored('bigint');
ALTER TABLE typed.lead_section_data ALTER COLUMN confidence TYPE numeric;
ALTER TABLE typed.rfp_embeddings ALTER COLUMN chunk_index TYPE numeric;
SELECT created FROM leadstore.store_section_result('lead-t', 'numeric', '{}',
	8.571, chunks => ARRAY['a', 'b'], embeddings => '{{1},{2}}');
SELECT * FROM typed.stored('numeric');
ALTER TABLE typed.lead_section_data ALTER COLUMN confidence TYPE numeric(5,2);
SELECT created FROM leadstore.store_section_result('lead-t', 'numeric(5,2)', '{}',
	99.5, chunks => ARRAY['a'], embeddings => '{1}');
SELECT * FROM typed.stored('numeric(5,2)');
ALTER TABLE typed.lead_section_data ALTER COLUMN confidence TYPE real;
ALTER TABLE typed.rfp_embeddings ALTER COLUMN chunk_index TYPE real;
SELECT created FROM leadstore.store_section_result('lead-t', 'real', '{}',
	8.571, chunks => ARRAY['a', 'b'], embeddings => '{{1},{2}}');
SELECT * FROM typed.stored('real');
-- store_chunks writes chunk_index into a real column too
SELECT chunks_written FROM leadstore.store_chunks('rfp-t', 'agent', ARRAY['a', 'b', 'c'],
	'{{1},{2},{3}}');
SELECT chunk_index, pg_typeof(chunk_index) FROM typed.rfp_embeddings
WHERE agent_name = 'agent' ORDER BY chunk_index;

--
-- JSON in jsonb (the reference), json or text: the JSON text, readable
-- back as the same jsonb value
--
ALTER TABLE typed.lead_section_data ALTER COLUMN content TYPE json USING content::json;
ALTER TABLE typed.lead_section_data ALTER COLUMN sources TYPE json USING sources::json;
ALTER TABLE typed.rfp_embeddings ALTER COLUMN metadata TYPE json USING metadata::json;
SELECT created FROM leadstore.store_section_result('lead-t', 'json',
	'{"b": [1, 2.50, null], "a": "x"}', sources => '{"chunks": ["c"]}',
	chunks => ARRAY['j'], embeddings => '{1}');
SELECT content, pg_typeof(content), content::jsonb = '{"b": [1, 2.50, null], "a": "x"}' AS same_value,
	   sources, pg_typeof(sources)
FROM typed.lead_section_data WHERE section_id = 'json';
SELECT metadata::jsonb ->> 'sectionId' AS section, metadata::jsonb -> 'sources' AS sources,
	   pg_typeof(metadata)
FROM typed.rfp_embeddings WHERE section_id = 'json';
ALTER TABLE typed.lead_section_data ALTER COLUMN content TYPE text;
ALTER TABLE typed.lead_section_data ALTER COLUMN sources TYPE text;
ALTER TABLE typed.rfp_embeddings ALTER COLUMN metadata TYPE text;
SELECT created FROM leadstore.store_section_result('lead-t', 'text',
	'{"b": [1, 2.50, null], "a": "x"}', sources => '["s.pdf"]',
	chunks => ARRAY['t'], embeddings => '{1}');
SELECT content, pg_typeof(content), content::jsonb = '{"b": [1, 2.50, null], "a": "x"}' AS same_value,
	   sources, pg_typeof(sources)
FROM typed.lead_section_data WHERE section_id = 'text';
SELECT metadata::jsonb ->> 'sectionId' AS section, pg_typeof(metadata)
FROM typed.rfp_embeddings WHERE section_id = 'text';
SELECT chunks_written FROM leadstore.store_chunks('rfp-t', 'agent', ARRAY['m'], '{1}',
	metadata => '{"k": [1, 2]}');
SELECT metadata, pg_typeof(metadata) FROM typed.rfp_embeddings WHERE agent_name = 'agent';
-- a NULL sources stays NULL (SQL NULL, not the JSON text null)
SELECT created FROM leadstore.store_section_result('lead-t', 'text', '{}');
SELECT sources IS NULL AS sources_null FROM typed.lead_section_data WHERE section_id = 'text';

--
-- timestamps: timestamptz (the reference) or timestamp holding UTC, also
-- mixed within one table
--
ALTER TABLE typed.leads ALTER COLUMN deep_scan_started_at TYPE timestamp
	USING deep_scan_started_at AT TIME ZONE 'UTC';
ALTER TABLE typed.leads ALTER COLUMN updated_at TYPE timestamp
	USING updated_at AT TIME ZONE 'UTC';
ALTER TABLE typed.lead_section_data ALTER COLUMN updated_at TYPE timestamp
	USING updated_at AT TIME ZONE 'UTC';
ALTER TABLE typed.rfp_embeddings ALTER COLUMN created_at TYPE timestamp
	USING created_at AT TIME ZONE 'UTC';
BEGIN;
SELECT status, started_at = now() AS token_is_now FROM leadstore.begin_deep_scan('lead-t');
SELECT created FROM leadstore.store_section_result('lead-t', 'timestamps', '{}',
	chunks => ARRAY['t'], embeddings => '{1}');
SELECT * FROM leadstore.select_cms('lead-t', 'cms-2');
SELECT deep_scan_started_at = (now() AT TIME ZONE 'UTC') AS started_utc,
	   updated_at = (now() AT TIME ZONE 'UTC') AS updated_utc
FROM typed.leads;
SELECT created_at = now() AS created_now, updated_at = (now() AT TIME ZONE 'UTC') AS updated_utc
FROM typed.lead_section_data WHERE section_id = 'timestamps';
SELECT created_at = (now() AT TIME ZONE 'UTC') AS created_utc
FROM typed.rfp_embeddings WHERE section_id = 'timestamps';
COMMIT;
SELECT status, sections_stored FROM leadstore.finish_deep_scan('lead-t');
SELECT deep_scan_completed_at > (SELECT deep_scan_started_at AT TIME ZONE 'UTC' FROM typed.leads) AS completed_after_start
FROM typed.leads;

--
-- ids and other text columns as varchar(n); the generated UUIDv7 ids fit
-- into 36 characters
--
ALTER TABLE typed.lead_section_data ALTER COLUMN id TYPE varchar(36);
ALTER TABLE typed.lead_section_data ALTER COLUMN section_id TYPE varchar(100);
ALTER TABLE typed.rfp_embeddings ALTER COLUMN id TYPE varchar(36);
ALTER TABLE typed.rfp_embeddings ALTER COLUMN agent_name TYPE varchar(100);
ALTER TABLE typed.rfp_embeddings ALTER COLUMN chunk_type TYPE varchar(20);
ALTER TABLE typed.leads ALTER COLUMN deep_scan_status TYPE varchar(20);
ALTER TABLE typed.technologies ALTER COLUMN category TYPE varchar(20);
SELECT created, chunks_written FROM leadstore.store_section_result('lead-t', 'varchar', '{}',
	chunks => ARRAY['v'], embeddings => '{1}');
SELECT chunks_written FROM leadstore.store_chunks(NULL, 'varchar-agent', ARRAY['v'],
	'{1}', lead_id => 'lead-t');
SELECT * FROM leadstore.select_cms('lead-t', 'cms-1');
SELECT status, transitioned FROM leadstore.begin_deep_scan('lead-t');
SELECT status FROM leadstore.finish_deep_scan('lead-t', outcome => 'completed');
-- a value longer than the column: PostgreSQL's own error, nothing written
SELECT count(*) AS sections_before FROM typed.lead_section_data \gset
SELECT * FROM leadstore.store_section_result('lead-t', repeat('x', 101), '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) = :sections_before AS nothing_written FROM typed.lead_section_data;

-- every column accepted so far: check_data_model() agrees
SELECT logical_name, actual_name, status FROM leadstore.check_data_model()
WHERE status <> 'ok';

--
-- 42804: a column whose type cannot take the value, each reported by the
-- call (nothing written) and by check_data_model() with status 'type'
--
CREATE VIEW typed.type_rows AS
SELECT logical_name, actual_name, status, detail, fix
FROM leadstore.check_data_model() WHERE status = 'type';

-- confidence as boolean (without the data model's range check)
ALTER TABLE typed.lead_section_data
	DROP CONSTRAINT lead_section_data_confidence_check,
	ALTER COLUMN confidence TYPE boolean USING NULL;
SELECT * FROM leadstore.store_section_result('lead-t', 'bad', '{}', 50);
\echo :LAST_ERROR_SQLSTATE
\x on
SELECT * FROM typed.type_rows;
\x off
ALTER TABLE typed.lead_section_data ALTER COLUMN confidence TYPE integer USING NULL;

-- content as integer (jsonb cannot be assigned to it)
ALTER TABLE typed.lead_section_data ALTER COLUMN content TYPE integer USING 0;
SELECT * FROM leadstore.store_section_result('lead-t', 'bad', '{}');
\echo :LAST_ERROR_SQLSTATE
\x on
SELECT * FROM typed.type_rows;
\x off
ALTER TABLE typed.lead_section_data ALTER COLUMN content TYPE jsonb USING '{}';

-- chunk metadata as integer
ALTER TABLE typed.rfp_embeddings ALTER COLUMN metadata TYPE integer USING NULL;
SELECT * FROM leadstore.store_chunks('rfp-t', 'agent', ARRAY['x'], '{1}');
\echo :LAST_ERROR_SQLSTATE
SELECT logical_name, actual_name, status FROM typed.type_rows;
ALTER TABLE typed.rfp_embeddings ALTER COLUMN metadata TYPE jsonb USING '{}';

-- a deep-scan timestamp as date: leadstore reads the run token back from it,
-- and a date cannot hold it
ALTER TABLE typed.leads ALTER COLUMN deep_scan_started_at TYPE date;
SELECT * FROM leadstore.begin_deep_scan('lead-t');
\echo :LAST_ERROR_SQLSTATE
\x on
SELECT * FROM typed.type_rows;
\x off
ALTER TABLE typed.leads ALTER COLUMN deep_scan_started_at TYPE timestamptz;

-- the selected CMS as integer (technology ids are text)
ALTER TABLE typed.leads DROP CONSTRAINT leads_selected_cms_id_fkey,
	ALTER COLUMN selected_cms_id TYPE integer USING NULL;
SELECT * FROM leadstore.select_cms('lead-t', 'cms-1');
\echo :LAST_ERROR_SQLSTATE
SELECT logical_name, actual_name, status FROM typed.type_rows;
ALTER TABLE typed.leads ALTER COLUMN selected_cms_id TYPE text;

-- the optional error column as boolean
ALTER TABLE typed.leads ALTER COLUMN deep_scan_error TYPE boolean USING NULL;
SELECT * FROM leadstore.begin_deep_scan('lead-t', '0');
\echo :LAST_ERROR_SQLSTATE
SELECT logical_name, actual_name, status FROM typed.type_rows;
ALTER TABLE typed.leads ALTER COLUMN deep_scan_error TYPE text;

-- the embedding as text[]: real[] can be assigned to it, so it is
-- accepted (types are checked by what PostgreSQL can assign, not by a list)
ALTER TABLE typed.rfp_embeddings ALTER COLUMN embedding TYPE text[];
SELECT * FROM leadstore.store_chunks('rfp-t', 'agent', ARRAY['x'], '{0.5}');
SELECT embedding FROM typed.rfp_embeddings WHERE agent_name = 'agent';
SELECT logical_name, actual_name, status FROM typed.type_rows;
ALTER TABLE typed.rfp_embeddings ALTER COLUMN embedding TYPE real[] USING embedding::real[];

-- the chunk id as uuid: leadstore generates text ids
ALTER TABLE typed.rfp_embeddings ALTER COLUMN id TYPE uuid USING id::uuid;
SELECT * FROM leadstore.store_chunks('rfp-t', 'agent', ARRAY['x'], '{1}');
\echo :LAST_ERROR_SQLSTATE
SELECT logical_name, actual_name, status FROM typed.type_rows;
ALTER TABLE typed.rfp_embeddings ALTER COLUMN id TYPE text;

-- the deep-scan status as an enum type of the application: accepted, like
-- text (it is written and compared as text)
CREATE TYPE typed.scan_status AS ENUM ('pending', 'running', 'completed', 'failed');
ALTER TABLE typed.leads ALTER COLUMN deep_scan_status DROP DEFAULT;
ALTER TABLE typed.leads ALTER COLUMN deep_scan_status TYPE typed.scan_status
	USING deep_scan_status::typed.scan_status;
SELECT status, transitioned FROM leadstore.begin_deep_scan('lead-t', '0');
SELECT status, transitioned FROM leadstore.begin_deep_scan('lead-t');
SELECT status FROM leadstore.finish_deep_scan('lead-t', outcome => 'completed');
SELECT deep_scan_status, pg_typeof(deep_scan_status) FROM typed.leads;
SELECT logical_name, actual_name, status FROM typed.type_rows;
ALTER TABLE typed.leads ALTER COLUMN deep_scan_status TYPE text;

-- all fixed again
SELECT count(*) AS type_rows FROM typed.type_rows;
SELECT chunks_written FROM leadstore.store_chunks('rfp-t', 'agent', ARRAY['x'], '{1}');

RESET leadstore.data_schema;
DROP SCHEMA typed CASCADE;
