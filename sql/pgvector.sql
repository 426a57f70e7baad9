--
-- pgvector: the chunk table's embedding as pgvector's vector(N) or
-- halfvec(N).  leadstore binds each chunk's embedding as a 1-D real[] and
-- pgvector's assignment cast fills the column, so both embedding forms of
-- store_section_result and store_chunks work unchanged; a wrong dimension is
-- pgvector's own error (nothing written), or leadstore's 22023 when
-- leadstore.embedding_dimensions is set.  Not in REGRESS: run only where the
-- vector extension is installed.  Self-contained (its own database state).
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS leadstore;
CREATE EXTENSION IF NOT EXISTS vector;
RESET client_min_messages;

-- an application schema: qualifications, text JSON, timestamps without
-- time zone, a vector(3) chunk table and a halfvec(3) one
CREATE SCHEMA vec;
CREATE TABLE vec.business_units (id text PRIMARY KEY, name text NOT NULL);
CREATE TABLE vec.technologies (
	id text PRIMARY KEY, name text NOT NULL,
	business_unit_id text NOT NULL REFERENCES vec.business_units (id),
	category text, is_default boolean NOT NULL DEFAULT false);
CREATE TABLE vec.pre_qualifications (id text PRIMARY KEY);
CREATE TABLE vec.qualifications (
	id text PRIMARY KEY,
	pre_qualification_id text NOT NULL REFERENCES vec.pre_qualifications (id),
	business_unit_id text NOT NULL REFERENCES vec.business_units (id),
	deep_scan_status text NOT NULL DEFAULT 'pending',
	deep_scan_started_at timestamp, deep_scan_completed_at timestamp,
	selected_cms_id text REFERENCES vec.technologies (id),
	updated_at timestamp NOT NULL DEFAULT now());
CREATE TABLE vec.qualification_section_data (
	id text PRIMARY KEY,
	qualification_id text NOT NULL REFERENCES vec.qualifications (id),
	section_id text NOT NULL, content text NOT NULL, confidence integer,
	sources text, created_at timestamp NOT NULL, updated_at timestamp NOT NULL,
	UNIQUE (qualification_id, section_id));
CREATE TABLE vec.deal_embeddings (
	id text PRIMARY KEY,
	pre_qualification_id text NOT NULL REFERENCES vec.pre_qualifications (id),
	qualification_id text REFERENCES vec.qualifications (id),
	section_id text, agent_name text NOT NULL, chunk_type text NOT NULL,
	chunk_index integer NOT NULL, content text NOT NULL, metadata text,
	embedding vector(3) NOT NULL, created_at timestamp NOT NULL);
CREATE INDEX ON vec.deal_embeddings (qualification_id, section_id);
CREATE INDEX ON vec.deal_embeddings (pre_qualification_id, agent_name);
CREATE TABLE vec.deal_embeddings_half (LIKE vec.deal_embeddings INCLUDING ALL);
ALTER TABLE vec.deal_embeddings_half ALTER COLUMN embedding TYPE halfvec(3);
INSERT INTO vec.business_units VALUES ('bu-1', 'Web');
INSERT INTO vec.technologies VALUES ('cms-1', 'CMS', 'bu-1', 'CMS', true);
INSERT INTO vec.pre_qualifications VALUES ('pq-1');
INSERT INTO vec.qualifications (id, pre_qualification_id, business_unit_id)
VALUES ('q-1', 'pq-1', 'bu-1');

SET leadstore.data_schema = 'vec';
SET leadstore.table_names = 'rfps=pre_qualifications, leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings';
SET leadstore.column_names = 'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id';

-- the vector column is accepted
SELECT logical_name, actual_name, status FROM leadstore.check_data_model()
WHERE logical_name = 'rfp_embeddings.embedding' OR status <> 'ok';

--
-- vector(3)
--
-- store_section_result, real[] and packed float32
SELECT chunks_written FROM leadstore.store_section_result('q-1', 'overview', '{}',
	chunks => ARRAY['a', 'b'], embeddings => '{{1,2,3},{-0.5,0.25,1e-3}}');
SELECT chunks_written FROM leadstore.store_section_result('q-1', 'packed', '{}',
	chunks => ARRAY['p'],
	embeddings_packed => '\x0000803f000000400000c0bf');
-- store_chunks, lead-level with real[], RFP-level packed
SELECT * FROM leadstore.store_chunks(NULL, 'legal', ARRAY['l0'], '{4,5,6}',
	lead_id => 'q-1');
SELECT * FROM leadstore.store_chunks('pq-1', 'indexer', ARRAY['i0'],
	embeddings_packed => '\x0000803f00000040000040c0');
SELECT coalesce(section_id, agent_name) AS what, chunk_index, embedding,
	   pg_typeof(embedding)
FROM vec.deal_embeddings ORDER BY 1, 2;
-- float32 in, float32 stored: the same bits
SELECT bool_and((SELECT array_agg(float4send(x)) FROM unnest(embedding::real[]) x) =
				(SELECT array_agg(float4send(x)) FROM unnest('{-0.5,0.25,1e-3}'::real[]) x)) AS bit_exact
FROM vec.deal_embeddings WHERE section_id = 'overview' AND chunk_index = 1;

-- a wrong dimension: pgvector's error, nothing written (the old chunks stay)
SELECT count(*) AS chunks_before FROM vec.deal_embeddings \gset
SELECT * FROM leadstore.store_section_result('q-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings => '{1,2}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks(NULL, 'legal', ARRAY['l0'],
	embeddings_packed => '\x0000803f000000400000c0bf0000803e', lead_id => 'q-1');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) = :chunks_before AS nothing_written,
	   count(*) FILTER (WHERE section_id = 'overview') AS overview_chunks
FROM vec.deal_embeddings;
-- with leadstore.embedding_dimensions set, leadstore refuses it first
SET leadstore.embedding_dimensions = 3;
SELECT * FROM leadstore.store_chunks(NULL, 'legal', ARRAY['l0'], '{1,2}',
	lead_id => 'q-1');
\echo :LAST_ERROR_SQLSTATE
RESET leadstore.embedding_dimensions;

-- 3072 dimensions, as embedding models produce them, both forms bit-exact
CREATE TABLE vec.deal_embeddings_3072 (LIKE vec.deal_embeddings INCLUDING ALL);
ALTER TABLE vec.deal_embeddings_3072 ALTER COLUMN embedding TYPE vector(3072);
SET leadstore.table_names = 'rfps=pre_qualifications, leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings_3072';
CREATE TEMP TABLE wide AS
SELECT array_agg(CASE i
		WHEN 1 THEN '-0'::real
		WHEN 2 THEN '1.4e-45'::real
		WHEN 3 THEN '3.4028235e38'::real
		WHEN 4 THEN '1.1754944e-38'::real
		ELSE (sin(i) * 10 ^ (i % 7 - 3))::real END ORDER BY i) AS v
FROM generate_series(1, 3072) i;
CREATE TEMP TABLE wide_packed AS
SELECT string_agg(substr(b, 4, 1) || substr(b, 3, 1) || substr(b, 2, 1) ||
				  substr(b, 1, 1), ''::bytea ORDER BY ord) AS p
FROM wide, unnest(v) WITH ORDINALITY AS u(f, ord), float4send(f) AS b;
SELECT chunks_written FROM leadstore.store_section_result('q-1', 'wide', '{}',
	chunks => ARRAY['a', 'b'], embeddings => (SELECT ARRAY[v, v] FROM wide));
SELECT chunks_written FROM leadstore.store_chunks('pq-1', 'wide-packed', ARRAY['a'],
	embeddings_packed => (SELECT p FROM wide_packed));
SELECT coalesce(section_id, agent_name) AS what, count(*) AS chunks,
	   min(vector_dims(embedding)) AS dims,
	   bool_and((SELECT array_agg(float4send(x)) FROM unnest(embedding::real[]) x) =
				(SELECT array_agg(float4send(x)) FROM wide, unnest(wide.v) x)) AS bit_exact
FROM vec.deal_embeddings_3072 GROUP BY 1 ORDER BY 1;

--
-- halfvec(3): half-precision, so values are rounded to the nearest half
-- float (1, 2, -1.5, 0.25 are exact; 0.1 is not)
--
SET leadstore.table_names = 'rfps=pre_qualifications, leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings_half';
SELECT logical_name, actual_name, status FROM leadstore.check_data_model()
WHERE logical_name = 'rfp_embeddings.embedding' OR status <> 'ok';
SELECT chunks_written FROM leadstore.store_section_result('q-1', 'overview', '{}',
	chunks => ARRAY['a', 'b'], embeddings => '{{1,2,-1.5},{0.25,0.1,3}}');
SELECT * FROM leadstore.store_chunks('pq-1', 'indexer', ARRAY['i0'],
	embeddings_packed => '\x0000803f000000400000c0bf');
SELECT coalesce(section_id, agent_name) AS what, chunk_index, embedding,
	   pg_typeof(embedding)
FROM vec.deal_embeddings_half ORDER BY 1, 2;
-- a wrong dimension: pgvector's error
SELECT * FROM leadstore.store_chunks('pq-1', 'indexer', ARRAY['i0'], '{1,2,3,4}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS indexer_chunks FROM vec.deal_embeddings_half WHERE agent_name = 'indexer';

RESET leadstore.table_names;
RESET leadstore.column_names;
RESET leadstore.data_schema;
SET client_min_messages = warning;
DROP SCHEMA vec CASCADE;
RESET client_min_messages;
