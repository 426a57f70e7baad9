--
-- app_schema: leadstore on an application's own tables, as an application
-- shaped like the one leadstore serves has them.  Schema app (written for
-- this test): the lead is a "qualification", its RFP a "pre-qualification";
-- section and chunk tables have their own names and key columns; every
-- timestamp is "timestamp" without time zone holding UTC; JSON is kept in
-- text columns; ids come from the application (no UUIDs, no defaults
-- leadstore could rely on); no CHECK constraints; the section table has
-- only a plain index on (qualification_id, section_id), and duplicate rows
-- from earlier re-runs.
--
-- Shown: the first call fails with leadstore's own 42P10 and HINT;
-- check_data_model() lists every problem with the SQL that fixes it; after
-- running those fixes it reports only ok rows; then every function works on
-- these tables, writing UTC wall-clock time whatever the session's TimeZone
-- and JSON text into the text columns.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET DateStyle = 'ISO, YMD';

CREATE SCHEMA app;
CREATE TABLE app.business_units (
	id			varchar(40) PRIMARY KEY,
	name		text NOT NULL,
	created_at	timestamp NOT NULL DEFAULT now()
);
CREATE TABLE app.technologies (
	id					varchar(40) PRIMARY KEY,
	name				text NOT NULL,
	business_unit_id	varchar(40) NOT NULL REFERENCES app.business_units (id),
	category			text,
	is_default			boolean NOT NULL DEFAULT false,
	created_at			timestamp NOT NULL DEFAULT now(),
	updated_at			timestamp NOT NULL DEFAULT now()
);
CREATE TABLE app.pre_qualifications (
	id			text PRIMARY KEY,
	title		text,
	created_at	timestamp NOT NULL DEFAULT now()
);
CREATE TABLE app.qualifications (
	id						text PRIMARY KEY,
	pre_qualification_id	text NOT NULL REFERENCES app.pre_qualifications (id),
	business_unit_id		varchar(40) NOT NULL REFERENCES app.business_units (id),
	customer_name			text NOT NULL,
	deep_scan_status		text NOT NULL DEFAULT 'pending',
	deep_scan_started_at	timestamp,
	deep_scan_completed_at	timestamp,
	deep_scan_error			text,
	selected_cms_id			varchar(40) REFERENCES app.technologies (id),
	created_at				timestamp NOT NULL DEFAULT now(),
	updated_at				timestamp NOT NULL DEFAULT now()
);
CREATE TABLE app.qualification_section_data (
	id					text PRIMARY KEY,
	qualification_id	text NOT NULL REFERENCES app.qualifications (id) ON DELETE CASCADE,
	section_id			text NOT NULL,
	content				text NOT NULL,
	confidence			integer,
	sources				text,
	created_at			timestamp NOT NULL DEFAULT now(),
	updated_at			timestamp NOT NULL DEFAULT now()
);
-- a plain index, not a unique one
CREATE INDEX qualification_section_data_lookup_idx
	ON app.qualification_section_data (qualification_id, section_id);
CREATE TABLE app.deal_embeddings (
	id						text PRIMARY KEY,
	pre_qualification_id	text NOT NULL REFERENCES app.pre_qualifications (id) ON DELETE CASCADE,
	qualification_id		text REFERENCES app.qualifications (id) ON DELETE CASCADE,
	section_id				text,
	agent_name				text NOT NULL,
	chunk_type				text NOT NULL,
	chunk_index				integer NOT NULL,
	content					text NOT NULL,
	metadata				text,
	embedding				real[] NOT NULL,
	created_at				timestamp NOT NULL DEFAULT now()
);

INSERT INTO app.business_units (id, name) VALUES ('bu-web', 'Web'), ('bu-data', 'Data');
INSERT INTO app.technologies (id, name, business_unit_id, category, is_default) VALUES
	('tech-drupal', 'Drupal', 'bu-web', 'CMS', true),
	('tech-wordpress', 'WordPress', 'bu-web', 'CMS', false),
	('tech-react', 'React', 'bu-web', 'Framework', false);
INSERT INTO app.pre_qualifications (id, title) VALUES ('pq-1', 'Portal'), ('pq-2', 'Shop');
INSERT INTO app.qualifications (id, pre_qualification_id, business_unit_id, customer_name) VALUES
	('q-1', 'pq-1', 'bu-web', 'ACME'),
	('q-2', 'pq-1', 'bu-web', 'Globex'),
	('q-3', 'pq-2', 'bu-data', 'Initech');
-- two rows for one section, from runs before leadstore
INSERT INTO app.qualification_section_data
	(id, qualification_id, section_id, content, confidence, sources, created_at, updated_at) VALUES
	('sec-old', 'q-1', 'overview', '{"summary": "old"}', 50, '["a.pdf"]',
	 '2024-01-01 10:00', '2024-01-01 10:00'),
	('sec-new', 'q-1', 'overview', '{"summary": "new"}', 60, '["a.pdf"]',
	 '2024-01-02 10:00', '2024-01-02 10:00');
-- a sub-agent's chunks, appended once per run
INSERT INTO app.deal_embeddings
	(id, pre_qualification_id, qualification_id, section_id, agent_name,
	 chunk_type, chunk_index, content, metadata, embedding, created_at) VALUES
	('emb-1', 'pq-1', 'q-1', NULL, 'legal-check', 'analysis', 0, 'run 1', '{}', '{1,1}', '2024-01-01 10:00'),
	('emb-2', 'pq-1', 'q-1', NULL, 'legal-check', 'analysis', 0, 'run 2', '{}', '{2,2}', '2024-01-02 10:00');

--
-- Before any setting, the logical names are not found
--
SET leadstore.data_schema = 'app';
SELECT * FROM leadstore.store_section_result('q-1', 'overview', '{}');
\echo :LAST_ERROR_SQLSTATE

-- the names (an application would put these two lines, with data_schema,
-- into ALTER DATABASE ... SET)
SET leadstore.table_names = 'business_units=business_units, rfps=pre_qualifications, leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings';
SET leadstore.column_names = 'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id';

-- the first store fails with leadstore's own 42P10: no unique index on
-- (qualification_id, section_id); nothing is written
SELECT * FROM leadstore.store_section_result('q-1', 'overview', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS sections FROM app.qualification_section_data;

--
-- check_data_model(): one row per table, column, key and index leadstore
-- needs, under the current settings
--
SELECT logical_name, actual_name, status FROM leadstore.check_data_model();
-- the problems, what they mean and how to fix them
\x on
SELECT logical_name, actual_name, status, detail, fix
FROM leadstore.check_data_model() WHERE status <> 'ok';
\x off
-- the rows that are ok have no fix
SELECT count(*) AS ok_rows_with_fix FROM leadstore.check_data_model()
WHERE status = 'ok' AND fix IS NOT NULL;
-- check_data_model() reads only the catalogs: a role without any privilege
-- on the tables (only USAGE on the schemas) gets the same rows
SELECT md5(string_agg(m::text, '|')) AS model_md5 FROM leadstore.check_data_model() m \gset
CREATE ROLE regress_ls_catalog_only;
GRANT USAGE ON SCHEMA leadstore, app TO regress_ls_catalog_only;
SET ROLE regress_ls_catalog_only;
SELECT has_table_privilege('app.qualification_section_data', 'SELECT') AS can_select,
	   md5(string_agg(m::text, '|')) = :'model_md5' AS same_rows
FROM leadstore.check_data_model() m;
RESET ROLE;
REVOKE USAGE ON SCHEMA leadstore, app FROM regress_ls_catalog_only;
DROP ROLE regress_ls_catalog_only;

-- the duplicates the fix resolves, found with the query of the detail
SELECT qualification_id, section_id, count(*)
FROM app.qualification_section_data
GROUP BY 1, 2 HAVING count(*) > 1;

-- every fix, as given
SELECT fix FROM leadstore.check_data_model() WHERE fix IS NOT NULL \gexec

-- the most recently updated of the duplicate rows is kept
SELECT id, qualification_id, section_id, content FROM app.qualification_section_data;

-- now every row is ok
SELECT logical_name, actual_name, status FROM leadstore.check_data_model()
WHERE status <> 'ok';
SELECT count(*) > 0 AS has_rows, bool_and(status = 'ok') AS all_ok,
	   bool_and(fix IS NULL) AS no_fix
FROM leadstore.check_data_model();

--
-- Every function on these tables.  The timestamps hold UTC wall-clock time:
-- each is compared with now() AT TIME ZONE 'UTC' in the same transaction,
-- under two session time zones on either side of UTC.
--

-- store_section_result, 2-D real[] embeddings, in New York: the existing
-- section is replaced (created = false)
SET TimeZone = 'America/New_York';
BEGIN;
SELECT section_row_id, rfp_id, created, chunks_written, chunks_replaced
FROM leadstore.store_section_result('q-1', 'overview',
	'{"summary": "deep scan", "score": 1.50, "tags": ["a", "b"]}', 8.571,
	'{"agentName": "overview-synth", "generatedAt": "2024-05-01T10:00:00Z", "chunks": ["c0"]}',
	ARRAY['o0', 'o1'], '{{1,2},{3,4}}');
SELECT id, content, content::jsonb = '{"summary": "deep scan", "score": 1.50, "tags": ["a", "b"]}'::jsonb AS content_round_trips,
	   confidence, sources::jsonb ->> 'agentName' AS sources_agent,
	   created_at = '2024-01-02 10:00' AS created_kept,
	   updated_at = (now() AT TIME ZONE 'UTC') AS updated_utc
FROM app.qualification_section_data WHERE qualification_id = 'q-1';
SELECT pre_qualification_id, qualification_id, section_id, agent_name,
	   chunk_type, chunk_index, content, embedding,
	   metadata::jsonb AS metadata,
	   created_at = (now() AT TIME ZONE 'UTC') AS created_utc
FROM app.deal_embeddings WHERE section_id = 'overview' ORDER BY chunk_index;
COMMIT;

-- a new section, packed float32 embeddings, in Kolkata: created_at and
-- updated_at are both the transaction's UTC time
SET TimeZone = 'Asia/Kolkata';
BEGIN;
SELECT rfp_id, created, chunks_written, chunks_replaced
FROM leadstore.store_section_result('q-1', 'risks', '[{"risk": "timeline"}]',
	99.5, '["rfp.pdf"]', ARRAY['r0', 'r1'],
	embeddings_packed => '\x0000803f000000400000c0bf0000803e');
SELECT content, content::jsonb = '[{"risk": "timeline"}]'::jsonb AS content_round_trips,
	   confidence, sources,
	   created_at = (now() AT TIME ZONE 'UTC') AS created_utc,
	   updated_at = (now() AT TIME ZONE 'UTC') AS updated_utc
FROM app.qualification_section_data WHERE section_id = 'risks';
SELECT chunk_index, embedding,
	   created_at = (now() AT TIME ZONE 'UTC') AS created_utc,
	   metadata::jsonb ->> 'confidence' AS metadata_confidence
FROM app.deal_embeddings WHERE section_id = 'risks' ORDER BY chunk_index;
COMMIT;
-- the same floats through both forms, bit for bit
SELECT (SELECT array_agg(float4send(x)) FROM unnest(embedding) x) =
	   (SELECT array_agg(float4send(x)) FROM unnest(CASE chunk_index
			WHEN 0 THEN '{1,2}'::real[] ELSE '{-1.5,0.25}'::real[] END) x) AS bit_exact
FROM app.deal_embeddings WHERE section_id = 'risks' ORDER BY chunk_index;

-- store_chunks, lead-level: the sub-agent's duplicated chunks are replaced
-- by one run's; the section chunks stay
BEGIN;
SELECT * FROM leadstore.store_chunks(NULL, 'legal-check', ARRAY['l0', 'l1', 'l2'],
	'{{1,0},{0,1},{1,1}}', lead_id => 'q-1',
	metadata => '{"source": "legal", "version": 2}');
SELECT pre_qualification_id, qualification_id, section_id, chunk_index, content,
	   metadata, created_at = (now() AT TIME ZONE 'UTC') AS created_utc
FROM app.deal_embeddings WHERE agent_name = 'legal-check' ORDER BY chunk_index;
COMMIT;
SELECT section_id, count(*) FROM app.deal_embeddings
WHERE section_id IS NOT NULL GROUP BY 1 ORDER BY 1;

-- store_chunks, RFP-level (no qualification), packed, in New York
SET TimeZone = 'America/New_York';
BEGIN;
SELECT * FROM leadstore.store_chunks('pq-1', 'rfp-indexer', ARRAY['p0'],
	embeddings_packed => '\x0000803f00000040', chunk_type => 'document');
SELECT pre_qualification_id, qualification_id, section_id, chunk_type,
	   chunk_index, content, embedding, metadata,
	   created_at = (now() AT TIME ZONE 'UTC') AS created_utc
FROM app.deal_embeddings WHERE agent_name = 'rfp-indexer';
COMMIT;
-- the pre-qualification of another qualification disagrees
SELECT * FROM leadstore.store_chunks('pq-2', 'legal-check', ARRAY['x'], '{1}',
	lead_id => 'q-1');
\echo :LAST_ERROR_SQLSTATE

-- CMS selection: updated_at in UTC
UPDATE app.qualifications SET updated_at = '2000-01-01' WHERE id = 'q-1';
BEGIN;
SELECT * FROM leadstore.select_cms('q-1', 'tech-wordpress');
SELECT selected_cms_id, updated_at = (now() AT TIME ZONE 'UTC') AS updated_utc
FROM app.qualifications WHERE id = 'q-1';
COMMIT;
SELECT * FROM leadstore.select_cms_if('q-1', 'tech-wordpress', 'tech-drupal');
SELECT * FROM leadstore.select_cms_if('q-1', 'tech-wordpress', 'tech-wordpress');
SELECT * FROM leadstore.select_cms('q-1', 'tech-react');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.clear_cms_selection('q-1');
SELECT * FROM leadstore.select_default_cms('q-1');
SELECT * FROM leadstore.select_default_cms('q-3');
SELECT id, selected_cms_id FROM app.qualifications ORDER BY id;

--
-- Deep-scan runs: started_at and completed_at are stored as UTC, and the
-- run token (a timestamptz) is the same instant in every time zone
--

-- begin in Kolkata: the token is now(), the column holds its UTC time
SET TimeZone = 'Asia/Kolkata';
BEGIN;
SELECT status, started_at = now() AS token_is_now, transitioned
FROM leadstore.begin_deep_scan('q-1');
SELECT deep_scan_status, deep_scan_started_at = (now() AT TIME ZONE 'UTC') AS started_utc,
	   deep_scan_error, updated_at = (now() AT TIME ZONE 'UTC') AS updated_utc
FROM app.qualifications WHERE id = 'q-1';
COMMIT;
SELECT started_at AS token FROM leadstore.begin_deep_scan('q-1') \gset
-- (a fresh run is not taken over in Kolkata: UTC+5:30 read as local time
-- would make it look 5.5 hours old)
SELECT transitioned FROM leadstore.begin_deep_scan('q-1', '1 hour');
-- finish in New York with the token (passed as text, as a client does),
-- outcome and error
SET TimeZone = 'America/New_York';
BEGIN;
SELECT status, started_at = :'token' AS same_run, completed_at = now() AS completed_now,
	   transitioned
FROM leadstore.finish_deep_scan('q-1', :'token', 'failed', 'agent timed out');
SELECT deep_scan_status, deep_scan_completed_at = (now() AT TIME ZONE 'UTC') AS completed_utc,
	   deep_scan_error
FROM app.qualifications WHERE id = 'q-1';
COMMIT;
-- the token of a finished run is refused (the message names the token,
-- now(): only the SQLSTATE is shown)
\set VERBOSITY sqlstate
SELECT * FROM leadstore.finish_deep_scan('q-1', :'token');
\set VERBOSITY default

-- sections stored since started_at, across time zones: a section stored
-- before the run does not count in New York (UTC-5 read as local time
-- would move it 5 hours later) ...
SELECT created FROM leadstore.store_section_result('q-2', 'before', '{}');
SELECT started_at AS token2 FROM leadstore.begin_deep_scan('q-2') \gset
SELECT status, sections_stored FROM leadstore.finish_deep_scan('q-2', :'token2');
-- ... and one stored after begin counts in Kolkata (UTC+5:30 read as local
-- time would move it 5.5 hours earlier); begin cleared the error
SET TimeZone = 'Asia/Kolkata';
UPDATE app.qualifications SET deep_scan_error = 'earlier run' WHERE id = 'q-2';
SELECT started_at AS token2 FROM leadstore.begin_deep_scan('q-2') \gset
SELECT deep_scan_error FROM app.qualifications WHERE id = 'q-2';
SELECT created FROM leadstore.store_section_result('q-2', 'after', '{}');
SELECT status, sections_stored FROM leadstore.finish_deep_scan('q-2', :'token2');

-- a run that started two hours ago (UTC) is stale in New York too
SET TimeZone = 'America/New_York';
UPDATE app.qualifications SET deep_scan_status = 'running',
	deep_scan_started_at = (now() AT TIME ZONE 'UTC') - interval '2 hours'
WHERE id = 'q-3';
SELECT status, started_at = now() AS restarted, transitioned
FROM leadstore.begin_deep_scan('q-3');
-- and the token of a run written by the application, in UTC, matches
UPDATE app.qualifications SET deep_scan_started_at = '2024-05-01 12:00:00.123456'
WHERE id = 'q-3';
SELECT status, started_at, transitioned FROM leadstore.finish_deep_scan('q-3',
	'2024-05-01 12:00:00.123+00', 'completed');
SELECT deep_scan_status, deep_scan_started_at, deep_scan_error
FROM app.qualifications WHERE id = 'q-3';
RESET TimeZone;

--
-- A chunk table of an older shape, without qualification and section
-- columns: the fix adds them; the detail says how to fill them
--
CREATE TABLE app.deal_embeddings_v1 (
	id						text PRIMARY KEY,
	pre_qualification_id	text NOT NULL REFERENCES app.pre_qualifications (id),
	agent_name				text NOT NULL,
	chunk_type				text NOT NULL,
	chunk_index				integer NOT NULL,
	content					text NOT NULL,
	metadata				text,
	embedding				real[] NOT NULL,
	created_at				timestamp NOT NULL DEFAULT now()
);
INSERT INTO app.deal_embeddings_v1 (id, pre_qualification_id, agent_name,
	chunk_type, chunk_index, content, metadata, embedding) VALUES
	('v1-1', 'pq-1', 'deep-scan-overview', 'analysis', 0, 'old',
	 '{"leadId": "q-1", "sectionId": "overview"}', '{1}');
SET leadstore.table_names = 'rfps=pre_qualifications, leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings_v1';
SELECT * FROM leadstore.store_chunks('pq-1', 'rfp-indexer', ARRAY['p0'], '{1}');
\echo :LAST_ERROR_SQLSTATE
\x on
SELECT logical_name, actual_name, status, detail, fix
FROM leadstore.check_data_model() WHERE status <> 'ok';
\x off
SELECT fix FROM leadstore.check_data_model() WHERE fix IS NOT NULL \gexec
SELECT count(*) FILTER (WHERE status <> 'ok') AS not_ok FROM leadstore.check_data_model();
-- the backfill the detail describes, for this table
UPDATE app.deal_embeddings_v1
SET qualification_id = metadata::jsonb ->> 'leadId',
	section_id = metadata::jsonb ->> 'sectionId';
SELECT chunks_written, chunks_replaced FROM leadstore.store_section_result('q-1',
	'overview', '{}', chunks => ARRAY['new'], embeddings => '{2}');
SELECT * FROM leadstore.store_chunks('pq-1', 'rfp-indexer', ARRAY['p0'], '{1}');
SELECT id <> 'v1-1' AS new_row, pre_qualification_id, qualification_id,
	   section_id, agent_name, content
FROM app.deal_embeddings_v1 ORDER BY agent_name;

RESET leadstore.table_names;
RESET leadstore.column_names;
RESET leadstore.data_schema;
RESET DateStyle;
DROP SCHEMA app CASCADE;

-- check_data_model() shows names as SQL would write them: quoted where they
-- need it, so a dot inside a name is not taken for the one between schema
-- and table, in actual_name and in detail
CREATE SCHEMA "Tenant.One";
CREATE TABLE "Tenant.One"."Deal.Leads" (id text PRIMARY KEY);
SET leadstore.data_schema = 'Tenant.One';
SET leadstore.table_names = 'leads="Deal.Leads", lead_section_data="Sections"';
SET leadstore.column_names = 'leads.business_unit_id="Unit.Id"';
SELECT logical_name, actual_name, status, detail FROM leadstore.check_data_model()
WHERE logical_name IN ('leads', 'leads.id', 'leads.business_unit_id',
					   'lead_section_data', 'lead_section_data.lead_id',
					   'lead_section_data(lead_id, section_id) unique');
SET leadstore.data_schema = 'No.Such Schema';
SELECT logical_name, actual_name, status, detail FROM leadstore.check_data_model()
WHERE logical_name = 'leads';
RESET leadstore.table_names;
RESET leadstore.column_names;
RESET leadstore.data_schema;
DROP SCHEMA "Tenant.One" CASCADE;
