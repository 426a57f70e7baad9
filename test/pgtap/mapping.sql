--
-- mapping.sql
--		Every function on an application's own tables, as they are, through
--		leadstore.data_schema, leadstore.table_names and
--		leadstore.column_names set with SET LOCAL in this transaction.
--
--		The application schema map_q has the shape of a real lead
--		qualification application: tables qualifications,
--		qualification_section_data, deal_embeddings and pre_qualifications;
--		key columns qualification_id and pre_qualification_id; timestamp
--		without time zone holding UTC; JSON in text columns; ids of its own
--		(not UUIDs, varchar for technologies); no CHECK constraints; a unique
--		index (not a constraint) on (qualification_id, section_id).
--
--		Covered: the rows each function writes there (JSON text, UTC wall
--		clock whatever TimeZone), deep-scan staleness and run tokens read
--		from timestamp columns, check_data_model on the mapped schema and on
--		a broken one (then every fix run, then only ok rows), and the
--		errors: 22023 for malformed settings at SET time, 42P01 / 42703 for
--		unmapped or missing names (naming the actual table and column),
--		42804 for a column that cannot take the value, 42P10 for a missing
--		unique index (with the HINT), each writing nothing.
--
BEGIN;
SELECT plan(103);

-- make_app_schema(nsp): the application's tables in schema nsp
CREATE PROCEDURE pg_temp.make_app_schema(nsp text) LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format($f$
		CREATE SCHEMA %1$I;
		CREATE TABLE %1$I.business_units (
			id text PRIMARY KEY, name text NOT NULL,
			created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
		CREATE TABLE %1$I.technologies (
			id varchar(64) PRIMARY KEY, name text NOT NULL,
			business_unit_id text NOT NULL REFERENCES %1$I.business_units (id),
			category text, is_default boolean NOT NULL DEFAULT false,
			created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
		CREATE TABLE %1$I.pre_qualifications (
			id text PRIMARY KEY, title text, created_at timestamp NOT NULL DEFAULT now());
		CREATE TABLE %1$I.qualifications (
			id text PRIMARY KEY,
			pre_qualification_id text NOT NULL REFERENCES %1$I.pre_qualifications (id),
			business_unit_id text NOT NULL REFERENCES %1$I.business_units (id),
			customer_name text NOT NULL,
			deep_scan_status text NOT NULL DEFAULT 'pending',
			deep_scan_started_at timestamp, deep_scan_completed_at timestamp,
			deep_scan_error text,
			selected_cms_id varchar(64) REFERENCES %1$I.technologies (id) ON DELETE SET NULL,
			created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
		CREATE TABLE %1$I.qualification_section_data (
			id text PRIMARY KEY,
			qualification_id text NOT NULL REFERENCES %1$I.qualifications (id) ON DELETE CASCADE,
			section_id text NOT NULL, content text NOT NULL, confidence integer, sources text,
			created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
		CREATE UNIQUE INDEX qualification_section_data_qs_idx
			ON %1$I.qualification_section_data (qualification_id, section_id);
		CREATE TABLE %1$I.deal_embeddings (
			id text PRIMARY KEY,
			pre_qualification_id text NOT NULL REFERENCES %1$I.pre_qualifications (id) ON DELETE CASCADE,
			qualification_id text REFERENCES %1$I.qualifications (id) ON DELETE CASCADE,
			section_id text, agent_name text NOT NULL, chunk_type text NOT NULL,
			chunk_index integer NOT NULL, content text NOT NULL, metadata text,
			embedding real[] NOT NULL, created_at timestamp NOT NULL);
		CREATE INDEX deal_embeddings_q_s_idx ON %1$I.deal_embeddings (qualification_id, section_id);
		CREATE INDEX deal_embeddings_pq_agent_idx ON %1$I.deal_embeddings (pre_qualification_id, agent_name);
		INSERT INTO %1$I.business_units (id, name) VALUES ('BU-1', 'Unit 1'), ('BU-2', 'Unit 2');
		INSERT INTO %1$I.technologies (id, name, business_unit_id, category, is_default)
		VALUES ('tech_wp', 'WordPress', 'BU-1', 'CMS', false),
		       ('tech_drupal', 'Drupal', 'BU-1', 'CMS', true),
		       ('tech_next', 'Next.js', 'BU-1', 'Framework', false),
		       ('tech_other', 'Other unit CMS', 'BU-2', 'CMS', true);
		INSERT INTO %1$I.pre_qualifications (id, title) VALUES ('PQ-77', 'Tender 77'), ('PQ-78', 'Tender 78');
		INSERT INTO %1$I.qualifications (id, pre_qualification_id, business_unit_id, customer_name,
			deep_scan_status, deep_scan_started_at, created_at, updated_at)
		VALUES ('Q-1001', 'PQ-77', 'BU-1', 'ACME', 'pending', NULL, '2024-01-01', '2024-01-01'),
		       ('Q-1002', 'PQ-77', 'BU-1', 'Globex', 'pending', NULL, '2024-01-01', '2024-01-01'),
		       ('Q-1003', 'PQ-78', 'BU-1', 'Initech', 'running',
		        (now() AT TIME ZONE 'UTC') - interval '20 minutes', '2024-01-01', '2024-01-01'),
		       ('Q-1004', 'PQ-78', 'BU-1', 'Umbrella', 'running',
		        (now() AT TIME ZONE 'UTC') - interval '2 hours', '2024-01-01', '2024-01-01');
		$f$, nsp);
END
$$;
CALL pg_temp.make_app_schema('map_q');

-- Every row of every table in the map_* schemas, with its version
CREATE FUNCTION pg_temp.data_state()
RETURNS TABLE (tbl text, row_ctid text, row_xmin text, row_text text)
LANGUAGE plpgsql AS $$
DECLARE
	rel regclass;
BEGIN
	FOR rel IN
		SELECT c.oid FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND s.nspname LIKE 'map\_%'
	LOOP
		RETURN QUERY EXECUTE format(
			'SELECT %L::text, t.ctid::text, t.xmin::text, t::text FROM %s t', rel::text, rel);
	END LOOP;
END
$$;
CREATE TEMP TABLE baseline AS SELECT * FROM pg_temp.data_state();
CREATE PROCEDURE pg_temp.take_baseline() LANGUAGE sql AS $$
	DELETE FROM baseline;
	INSERT INTO baseline SELECT * FROM pg_temp.data_state();
$$;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql AS $$
	SELECT NOT EXISTS (SELECT * FROM pg_temp.data_state() EXCEPT ALL SELECT * FROM baseline)
	   AND NOT EXISTS (SELECT * FROM baseline EXCEPT ALL SELECT * FROM pg_temp.data_state());
$$;
-- One part ('sqlstate', 'message', 'detail' or 'hint') of the error a
-- statement raises; NULL when it raises none
CREATE FUNCTION pg_temp.error_part(stmt text, part text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	detail text;
	hint text;
BEGIN
	EXECUTE stmt;
	RETURN NULL;
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN CASE part WHEN 'sqlstate' THEN SQLSTATE WHEN 'detail' THEN detail
	                 WHEN 'hint' THEN hint ELSE msg END;
END
$$;
-- Runs every fix check_data_model proposes, in its order; returns the fixes
-- that failed, with their error
CREATE FUNCTION pg_temp.run_fixes() RETURNS TABLE (logical_name text, fix text, error text)
LANGUAGE plpgsql AS $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT m.logical_name, m.fix FROM leadstore.check_data_model() m WHERE m.fix IS NOT NULL LOOP
		BEGIN
			EXECUTE r.fix;
		EXCEPTION WHEN others THEN
			logical_name := r.logical_name;
			fix := r.fix;
			error := SQLSTATE || ': ' || SQLERRM;
			RETURN NEXT;
		END;
	END LOOP;
END
$$;
-- Calls select_cms under n data_schema values that name no schema; returns
-- the calls whose error is not "schema ... does not exist" for that value
CREATE FUNCTION pg_temp.cycle_schemas(n int) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
	i int;
	got text;
BEGIN
	FOR i IN 1..n LOOP
		PERFORM set_config('leadstore.data_schema', 'map_none_' || i, true);
		got := pg_temp.error_part($q$SELECT leadstore.select_cms('Q-1001', 'tech_wp')$q$, 'message');
		IF got IS DISTINCT FROM format('leadstore data schema "map_none_%s" does not exist', i) THEN
			RETURN NEXT i || ': ' || coalesce(got, 'no error');
		END IF;
	END LOOP;
END
$$;
-- The mapping of the application, as one would write it in ALTER DATABASE ... SET
CREATE PROCEDURE pg_temp.map(nsp text) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('leadstore.data_schema', nsp, true);
	PERFORM set_config('leadstore.table_names',
		'leads=qualifications, lead_section_data=qualification_section_data, '
		'rfp_embeddings=deal_embeddings, rfps=pre_qualifications', true);
	PERFORM set_config('leadstore.column_names',
		'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, '
		'rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id', true);
END
$$;
CREATE PROCEDURE pg_temp.unmap() LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('leadstore.data_schema', 'public', true);
	PERFORM set_config('leadstore.table_names', '', true);
	PERFORM set_config('leadstore.column_names', '', true);
END
$$;

--
-- 1. The settings: SET LOCAL takes them, malformed values are refused at SET time
--	The module checks the values once it is loaded, which the first
--	leadstore call of a session does; before that PostgreSQL keeps any
--	value of a leadstore.* setting as a placeholder.  So load it first.
--
SELECT 1 AS library_loaded FROM leadstore.check_data_model() LIMIT 1
\gset
SET LOCAL leadstore.data_schema = 'map_q';
SET LOCAL leadstore.table_names = 'leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings, rfps=pre_qualifications';
SET LOCAL leadstore.column_names = 'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id';
SELECT is(current_setting('leadstore.table_names'),
	'leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings, rfps=pre_qualifications',
	'SET LOCAL leadstore.table_names takes the application''s mapping');
CREATE TEMP TABLE bad_settings (setting text, value text, why text);
INSERT INTO bad_settings VALUES
	('leadstore.table_names', 'leads', 'a pair without "="'),
	('leadstore.table_names', 'leads=', 'an empty actual name'),
	('leadstore.table_names', '=qualifications', 'an empty logical name'),
	('leadstore.table_names', 'widgets=qualifications', 'an unknown logical table'),
	('leadstore.table_names', 'leads=qualifications, leads=pitches', 'a logical table mapped twice'),
	('leadstore.table_names', 'leads=qualifications,, rfps=x', 'an empty pair'),
	('leadstore.table_names', 'leads="qualifications', 'an unterminated quoted name'),
	('leadstore.column_names', 'leads.rfp_id', 'a column pair without "="'),
	('leadstore.column_names', 'rfp_id=pre_qualification_id', 'a column without its logical table'),
	('leadstore.column_names', 'leads.nope=x', 'an unknown logical column'),
	('leadstore.column_names', 'pitches.rfp_id=x', 'an unknown logical table in a column pair'),
	('leadstore.column_names', 'qualifications.rfp_id=pre_qualification_id', 'an actual (not logical) table name in a column pair'),
	('leadstore.column_names', 'leads.rfp_id=a, leads.rfp_id=b', 'a logical column mapped twice');
SELECT is_empty(
	$$SELECT b.why, pg_temp.error_part(format('SET LOCAL %s = %L', b.setting, b.value), 'sqlstate')
	  FROM bad_settings b
	  WHERE pg_temp.error_part(format('SET LOCAL %s = %L', b.setting, b.value), 'message') IS NULL$$,
	'every malformed mapping is refused at SET time');
SELECT throws_ok($$SET LOCAL leadstore.table_names = 'widgets=qualifications'$$,
	'22023', 'invalid value for parameter "leadstore.table_names": "widgets=qualifications"', 'an unknown logical table in leadstore.table_names: 22023');
SELECT throws_ok($$SET LOCAL leadstore.table_names = 'leads'$$,
	'22023', 'invalid value for parameter "leadstore.table_names": "leads"', 'a malformed pair in leadstore.table_names: 22023');
SELECT throws_ok($$SET LOCAL leadstore.table_names = 'leads=qualifications, leads=pitches'$$,
	'22023', 'invalid value for parameter "leadstore.table_names": "leads=qualifications, leads=pitches"', 'a logical table mapped twice: 22023');
SELECT throws_ok($$SET LOCAL leadstore.column_names = 'leads.nope=x'$$,
	'22023', 'invalid value for parameter "leadstore.column_names": "leads.nope=x"', 'an unknown logical column in leadstore.column_names: 22023');
SELECT throws_ok($$SET LOCAL leadstore.column_names = 'leads.rfp_id'$$,
	'22023', 'invalid value for parameter "leadstore.column_names": "leads.rfp_id"', 'a malformed pair in leadstore.column_names: 22023');
SELECT throws_ok($$SET LOCAL leadstore.column_names = 'leads.rfp_id=a, leads.rfp_id=b'$$,
	'22023', 'invalid value for parameter "leadstore.column_names": "leads.rfp_id=a, leads.rfp_id=b"', 'a logical column mapped twice: 22023');
SELECT matches(
	pg_temp.error_part($$SET LOCAL leadstore.table_names = 'leads=qualifications, widgets=x'$$, 'message')
	|| ' ' || coalesce(pg_temp.error_part($$SET LOCAL leadstore.table_names = 'leads=qualifications, widgets=x'$$, 'detail'), ''),
	'widgets',
	'the error names the bad pair');
SELECT matches(
	pg_temp.error_part($$SET LOCAL leadstore.column_names = 'leads.rfp_id=pre_qualification_id, leads.nope=x'$$, 'message')
	|| ' ' || coalesce(pg_temp.error_part($$SET LOCAL leadstore.column_names = 'leads.rfp_id=pre_qualification_id, leads.nope=x'$$, 'detail'), ''),
	'leads\.nope',
	'the column error names the bad pair');
SELECT results_eq(
	$$SELECT current_setting('leadstore.table_names'), current_setting('leadstore.column_names')$$,
	$$VALUES ('leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings, rfps=pre_qualifications',
	          'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id')$$,
	'after the refused values the settings are still the application''s mapping');

--
-- 2. check_data_model on the mapped schema: every row ok, actual names
--
SELECT is_empty(
	$$SELECT logical_name, actual_name, status, detail FROM leadstore.check_data_model() WHERE status <> 'ok'$$,
	'check_data_model on the mapped application schema: every row is ok');
SELECT is_empty(
	$$SELECT logical_name FROM leadstore.check_data_model() WHERE fix IS NOT NULL$$,
	'no fix is proposed when everything is ok');
SELECT results_eq(
	$$SELECT logical_name, actual_name, status FROM leadstore.check_data_model()
	  WHERE logical_name IN ('leads', 'technologies', 'lead_section_data', 'rfp_embeddings')
	  ORDER BY logical_name$$,
	$$VALUES ('lead_section_data', 'map_q.qualification_section_data', 'ok'),
	         ('leads', 'map_q.qualifications', 'ok'),
	         ('rfp_embeddings', 'map_q.deal_embeddings', 'ok'),
	         ('technologies', 'map_q.technologies', 'ok')$$,
	'one row per table, with the schema-qualified actual name');
SELECT results_eq(
	$$SELECT logical_name, actual_name FROM leadstore.check_data_model()
	  WHERE logical_name IN ('leads.rfp_id', 'lead_section_data.lead_id', 'rfp_embeddings.lead_id',
	                         'rfp_embeddings.rfp_id', 'leads.deep_scan_started_at', 'rfp_embeddings.embedding')
	  ORDER BY logical_name$$,
	$$VALUES ('lead_section_data.lead_id', 'qualification_section_data.qualification_id'),
	         ('leads.deep_scan_started_at', 'qualifications.deep_scan_started_at'),
	         ('leads.rfp_id', 'qualifications.pre_qualification_id'),
	         ('rfp_embeddings.embedding', 'deal_embeddings.embedding'),
	         ('rfp_embeddings.lead_id', 'deal_embeddings.qualification_id'),
	         ('rfp_embeddings.rfp_id', 'deal_embeddings.pre_qualification_id')$$,
	'column rows: logical table.column and the actual table.column');
SELECT results_eq(
	$$SELECT logical_name, actual_name, status FROM leadstore.check_data_model()
	  WHERE logical_name LIKE '%(%' ORDER BY logical_name$$,
	$$VALUES ('lead_section_data(lead_id, section_id) unique', 'qualification_section_data_qs_idx', 'ok'),
	         ('rfp_embeddings(lead_id, section_id) index', 'deal_embeddings_q_s_idx', 'ok'),
	         ('rfp_embeddings(rfp_id, agent_name) index', 'deal_embeddings_pq_agent_idx', 'ok')$$,
	'the unique key and the two chunk indexes are found under their actual names');

--
-- 3. store_section_result: JSON text, UTC wall clock whatever TimeZone
--
SET LOCAL TimeZone = 'Asia/Kolkata';
CREATE TEMP TABLE q_store AS
	SELECT * FROM leadstore.store_section_result('Q-1001', 'tech-stack',
		'{"summary": "first", "items": [1, 2]}', 8.571,
		'{"agentName": "tech", "generatedAt": "2025-01-01T10:00:00.000Z", "chunks": [1]}',
		'{chunk zero,chunk one}', '{{1,2},{3,4}}');
SELECT results_eq('SELECT rfp_id, created, chunks_written, chunks_replaced FROM q_store',
	$$VALUES ('PQ-77', true, 2, 0)$$,
	'store_section_result on qualifications: rfp_id from pre_qualification_id, created, 2 chunks');
SELECT results_eq(
	$$SELECT s.id, s.qualification_id, s.content::jsonb, s.confidence, s.sources::jsonb,
	         s.created_at, s.updated_at
	  FROM map_q.qualification_section_data s$$,
	$$SELECT section_row_id, 'Q-1001', '{"summary": "first", "items": [1, 2]}'::jsonb, 9,
	         '{"agentName": "tech", "generatedAt": "2025-01-01T10:00:00.000Z", "chunks": [1]}'::jsonb,
	         (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
	  FROM q_store$$,
	'the section row: JSON text in content and sources, confidence rounded, created_at and updated_at = now() in UTC (TimeZone Asia/Kolkata)');
SELECT results_eq(
	$$SELECT pre_qualification_id, qualification_id, section_id, agent_name, chunk_type, chunk_index,
	         content, metadata::jsonb, embedding, created_at
	  FROM map_q.deal_embeddings ORDER BY chunk_index$$,
	$$VALUES
	  ('PQ-77', 'Q-1001', 'tech-stack', 'deep-scan-tech-stack', 'analysis', 0, 'chunk zero',
	   '{"sectionId": "tech-stack", "leadId": "Q-1001", "confidence": 9, "sources": {"agentName": "tech", "generatedAt": "2025-01-01T10:00:00.000Z", "chunks": [1]}}'::jsonb,
	   '{1,2}'::real[], (now() AT TIME ZONE 'UTC')),
	  ('PQ-77', 'Q-1001', 'tech-stack', 'deep-scan-tech-stack', 'analysis', 1, 'chunk one',
	   '{"sectionId": "tech-stack", "leadId": "Q-1001", "confidence": 9, "sources": {"agentName": "tech", "generatedAt": "2025-01-01T10:00:00.000Z", "chunks": [1]}}'::jsonb,
	   '{3,4}'::real[], (now() AT TIME ZONE 'UTC'))$$,
	'the chunk rows in deal_embeddings: mapped key columns, metadata as JSON text, created_at in UTC');
SELECT is_empty(
	$$SELECT 1 FROM map_q.qualification_section_data WHERE (content::json)::text IS NULL OR (sources::json)::text IS NULL
	  UNION ALL SELECT 1 FROM map_q.deal_embeddings WHERE (metadata::json)::text IS NULL$$,
	'every text column holds valid JSON text');
SET LOCAL TimeZone = 'America/New_York';
UPDATE map_q.qualification_section_data SET created_at = '2024-01-01', updated_at = '2024-01-01';
SELECT results_eq(
	$$SELECT section_row_id, created, chunks_written, chunks_replaced
	  FROM leadstore.store_section_result('Q-1001', 'tech-stack', '"second"', 100.4, '["a"]',
	       '{only chunk}', '{5,6}')$$,
	$$SELECT section_row_id, false, 1, 2 FROM q_store$$,
	're-run on qualifications (TimeZone America/New_York): same row, 2 chunks replaced through the unique index');
SELECT results_eq(
	$$SELECT content, confidence, sources::jsonb, created_at, updated_at
	  FROM map_q.qualification_section_data WHERE qualification_id = 'Q-1001'$$,
	$$VALUES ('"second"', 100, '["a"]'::jsonb, '2024-01-01'::timestamp, (now() AT TIME ZONE 'UTC'))$$,
	're-run: content is the JSON text "second", created_at kept, updated_at = now() in UTC');
SELECT results_eq(
	$$SELECT count(*)::int FROM map_q.deal_embeddings WHERE qualification_id = 'Q-1001'$$,
	$$VALUES (1)$$,
	're-run: exactly the new chunk is left');
RESET TimeZone;

--
-- 4. store_chunks on deal_embeddings
--
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks(NULL, 'legal-check', '{clause}', '{7,7}', lead_id => 'Q-1002',
	       metadata => '{"k": 1}')$$,
	$$VALUES ('PQ-77', 'Q-1002', 1, 0)$$,
	'store_chunks lead-level: rfp_id from qualifications.pre_qualification_id');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('PQ-78', 'rfp-ingest', '{page 1,page 2}', '{{1},{2}}')$$,
	$$VALUES ('PQ-78', NULL::text, 2, 0)$$,
	'store_chunks RFP-level on deal_embeddings');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('PQ-78', 'rfp-ingest', '{page 1 again}', '{{1}}')$$,
	$$VALUES ('PQ-78', NULL::text, 1, 2)$$,
	'store_chunks RFP-level re-run replaces the 2 chunks');
SELECT results_eq(
	$$SELECT pre_qualification_id, qualification_id, section_id, agent_name, chunk_index, content,
	         metadata::jsonb, created_at
	  FROM map_q.deal_embeddings WHERE section_id IS NULL ORDER BY agent_name, chunk_index$$,
	$$VALUES ('PQ-77', 'Q-1002', NULL::text, 'legal-check', 0, 'clause', '{"k": 1}'::jsonb, (now() AT TIME ZONE 'UTC')),
	         ('PQ-78', NULL, NULL, 'rfp-ingest', 0, 'page 1 again', '{}'::jsonb, (now() AT TIME ZONE 'UTC'))$$,
	'the chunk rows: mapped key columns, metadata JSON text ({} for NULL), created_at in UTC');
SELECT results_eq(
	$$SELECT count(*)::int FROM map_q.deal_embeddings WHERE qualification_id = 'Q-1001'$$,
	$$VALUES (1)$$,
	'the section chunk of Q-1001 is untouched');

--
-- 5. CMS selection on qualifications (varchar technology ids)
--
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT results_eq($$SELECT * FROM leadstore.select_cms('Q-1001', 'tech_wp')$$,
	$$VALUES ('Q-1001', NULL::text, 'tech_wp', true)$$,
	'select_cms on qualifications');
SELECT results_eq(
	$$SELECT selected_cms_id::text, updated_at FROM map_q.qualifications WHERE id = 'Q-1001'$$,
	$$VALUES ('tech_wp', (now() AT TIME ZONE 'UTC'))$$,
	'select_cms writes selected_cms_id and updated_at = now() in UTC');
SELECT results_eq($$SELECT * FROM leadstore.select_cms_if('Q-1001', 'tech_drupal', 'tech_drupal')$$,
	$$VALUES ('Q-1001', 'tech_wp', 'tech_wp', false)$$,
	'select_cms_if with a stale expected value changes nothing');
SELECT results_eq($$SELECT * FROM leadstore.select_cms_if('Q-1001', 'tech_wp', 'tech_drupal')$$,
	$$VALUES ('Q-1001', 'tech_wp', 'tech_drupal', true)$$,
	'select_cms_if with the right expected value changes the selection');
SELECT throws_ok($$SELECT leadstore.select_cms('Q-1001', 'tech_next')$$,
	'22023', 'technology "tech_next" is not a CMS',
	'select_cms of a framework: 22023');
SELECT throws_ok($$SELECT leadstore.select_cms('Q-1001', 'tech_other')$$,
	'22023', 'technology "tech_other" does not belong to the business unit of lead "Q-1001"',
	'select_cms of another unit''s CMS: 22023');
SELECT results_eq($$SELECT * FROM leadstore.clear_cms_selection('Q-1001')$$,
	$$VALUES ('Q-1001', 'tech_drupal', NULL::text, true)$$,
	'clear_cms_selection on qualifications');
SELECT results_eq($$SELECT * FROM leadstore.select_default_cms('Q-1001')$$,
	$$VALUES ('Q-1001', NULL::text, 'tech_drupal', true)$$,
	'select_default_cms picks the unit''s default CMS');
SELECT results_eq($$SELECT selected_cms_id::text FROM map_q.qualifications WHERE id = 'Q-1001'$$,
	$$VALUES ('tech_drupal')$$,
	'the default is written to qualifications');
SELECT throws_ok($$SELECT leadstore.select_cms('Q-9999', 'tech_wp')$$,
	'P0002', 'lead "Q-9999" does not exist',
	'a missing qualification: P0002');
RESET TimeZone;

--
-- 6. Deep-scan runs on timestamp without time zone
--
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT results_eq(
	$$SELECT * FROM leadstore.begin_deep_scan('Q-1003')$$,
	$$VALUES ('Q-1003', 'running', now() - interval '20 minutes', NULL::timestamptz, 0, false)$$,
	'a run started 20 minutes ago (UTC wall clock) is not stale under TimeZone Asia/Kolkata (+05:30), and its started_at is read as UTC');
SET LOCAL TimeZone = 'America/New_York';
SELECT results_eq(
	$$SELECT * FROM leadstore.begin_deep_scan('Q-1004', stale_after => '1 hour')$$,
	$$VALUES ('Q-1004', 'running', now(), NULL::timestamptz, 0, true)$$,
	'a run started 2 hours ago (UTC wall clock) is stale after 1 hour under TimeZone America/New_York: taken over');
SELECT results_eq(
	$$SELECT deep_scan_status, deep_scan_started_at, deep_scan_completed_at, updated_at
	  FROM map_q.qualifications WHERE id = 'Q-1004'$$,
	$$VALUES ('running', (now() AT TIME ZONE 'UTC'), NULL::timestamp, (now() AT TIME ZONE 'UTC'))$$,
	'the takeover writes started_at and updated_at as UTC wall clock');
SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('Q-1004', 'overview', '{}')$$,
	$$VALUES (true)$$,
	'setup: a section stored during the run');
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT results_eq(
	$$SELECT * FROM leadstore.finish_deep_scan('Q-1004', now(), NULL, NULL)$$,
	$$VALUES ('Q-1004', 'completed', now(), now(), 1, true)$$,
	'finish_deep_scan with the token under another TimeZone: the token matches, the section stored since started_at counts');
SELECT results_eq(
	$$SELECT deep_scan_status, deep_scan_completed_at FROM map_q.qualifications WHERE id = 'Q-1004'$$,
	$$VALUES ('completed', (now() AT TIME ZONE 'UTC'))$$,
	'completed_at is written as UTC wall clock');
SELECT results_eq(
	$$SELECT status, started_at, transitioned FROM leadstore.begin_deep_scan('Q-1002')$$,
	$$VALUES ('running', now(), true)$$,
	'begin_deep_scan on a pending qualification');
SELECT results_eq(
	$$SELECT status, transitioned
	  FROM leadstore.finish_deep_scan('Q-1002', date_trunc('milliseconds', now()), 'failed', 'agent crashed')$$,
	$$VALUES ('failed', true)$$,
	'finish_deep_scan with a millisecond token, outcome failed and an error');
SELECT results_eq(
	$$SELECT deep_scan_status, deep_scan_error FROM map_q.qualifications WHERE id = 'Q-1002'$$,
	$$VALUES ('failed', 'agent crashed')$$,
	'the error is written to qualifications.deep_scan_error');
UPDATE map_q.qualifications
SET deep_scan_status = 'running', deep_scan_started_at = '2024-05-01 10:00:00.123456'
WHERE id = 'Q-1003';
CALL pg_temp.take_baseline();
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('Q-1003', '2024-05-01 10:00:00.123456+05:30')$$,
	'55000', 'deep scan run of lead "Q-1003" started at 2024-05-01 10:00:00.123456+05:30 is not the current run',
	'a token naming the stored wall clock as Kolkata time is another instant: 55000');
SELECT ok(pg_temp.unchanged(), 'the wrong token wrote nothing');
SELECT results_eq(
	$$SELECT status, started_at, transitioned
	  FROM leadstore.finish_deep_scan('Q-1003', '2024-05-01 10:00:00.123+00', 'completed')$$,
	$$VALUES ('completed', '2024-05-01 10:00:00.123456+00'::timestamptz, true)$$,
	'the stored wall clock read as UTC, truncated to milliseconds, is the token');
RESET TimeZone;

--
-- 7. The mapped optional column leads.deep_scan_error
--
ALTER TABLE map_q.qualifications RENAME COLUMN deep_scan_error TO last_scan_error;
SELECT results_eq(
	$$SELECT status FROM leadstore.begin_deep_scan('Q-1003')$$,
	$$VALUES ('running')$$,
	'without a deep_scan_error column (renamed away) begin_deep_scan works');
CALL pg_temp.take_baseline();
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('Q-1003', error => 'x')$$,
	'42703', 'column "deep_scan_error" of relation "map_q.qualifications" does not exist',
	'an error text without the (mapped) column: 42703');
SELECT ok(pg_temp.unchanged(), 'the 42703 wrote nothing');
SET LOCAL leadstore.column_names = 'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id, leads.deep_scan_error=last_scan_error';
SELECT results_eq(
	$$SELECT status FROM leadstore.finish_deep_scan('Q-1003', error => 'mapped error')$$,
	$$VALUES ('failed')$$,
	'with leads.deep_scan_error mapped to last_scan_error the error is accepted');
SELECT is((SELECT last_scan_error FROM map_q.qualifications WHERE id = 'Q-1003'), 'mapped error',
	'the error is written to the mapped column');
SELECT results_eq(
	$$SELECT status FROM leadstore.begin_deep_scan('Q-1003')$$,
	$$VALUES ('running')$$,
	'begin_deep_scan again');
SELECT is((SELECT last_scan_error FROM map_q.qualifications WHERE id = 'Q-1003'), NULL,
	'begin_deep_scan clears the mapped error column');
ALTER TABLE map_q.qualifications RENAME COLUMN last_scan_error TO deep_scan_error;
CALL pg_temp.map('map_q');

--
-- 8. Switching mappings inside one transaction: each call uses the settings of its time
--
CALL pg_temp.unmap();
INSERT INTO public.business_units (id, name) VALUES ('map-bu', 'Public BU');
INSERT INTO public.rfps (id) VALUES ('map-rfp');
INSERT INTO public.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('Q-1001', 'map-rfp', 'map-bu', 'Public twin');
SELECT results_eq(
	$$SELECT rfp_id, created FROM leadstore.store_section_result('Q-1001', 'tech-stack', '{}')$$,
	$$VALUES ('map-rfp', true)$$,
	'with the settings reset, the same lead id is the reference model''s public.leads row');
CALL pg_temp.map('map_q');
SELECT results_eq(
	$$SELECT rfp_id, created FROM leadstore.store_section_result('Q-1001', 'tech-stack', '{}')$$,
	$$VALUES ('PQ-77', false)$$,
	'mapped again, the next call writes qualifications');
SELECT is_empty('SELECT * FROM pg_temp.cycle_schemas(12)',
	'12 more schema settings in a row (more than the kept plan sets): each call reports its own missing schema');
CALL pg_temp.map('map_q');
SELECT results_eq($$SELECT * FROM leadstore.select_cms('Q-1001', 'tech_wp')$$,
	$$VALUES ('Q-1001', 'tech_drupal', 'tech_wp', true)$$,
	'back on the application''s mapping, the calls work again');

--
-- 9. 42P01 / 42703: unmapped or missing names, naming the actual table and column
--
CALL pg_temp.take_baseline();
SET LOCAL leadstore.table_names = '';
SELECT throws_ok($$SELECT leadstore.select_cms('Q-1001', 'tech_wp')$$,
	'42P01', 'relation "map_q.leads" does not exist',
	'the application schema without table_names: 42P01 for the logical name leads');
SELECT imatches(pg_temp.error_part($$SELECT leadstore.select_cms('Q-1001', 'tech_wp')$$, 'hint'),
	'check_data_model',
	'the HINT points to leadstore.check_data_model()');
SELECT ok(pg_temp.unchanged(), '42P01: nothing written');
SET LOCAL leadstore.table_names = 'leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings';
SET LOCAL leadstore.column_names = 'lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id';
SELECT throws_ok($$SELECT leadstore.store_section_result('Q-1001', 'x', '{}')$$,
	'42703', 'column "rfp_id" of relation "map_q.qualifications" does not exist',
	'leads.rfp_id left unmapped: 42703 naming the actual table');
SELECT ok(pg_temp.unchanged(), '42703 (unmapped column): nothing written');
SET LOCAL leadstore.column_names = 'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualificationid, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id';
SELECT throws_ok($$SELECT leadstore.store_section_result('Q-1001', 'x', '{}')$$,
	'42703', 'column "qualificationid" of relation "map_q.qualification_section_data" does not exist',
	'a column mapped to a name that does not exist: 42703 naming the actual column and table');
SELECT matches(pg_temp.error_part($$SELECT leadstore.store_section_result('Q-1001', 'x', '{}')$$, 'detail'),
	'lead_section_data\.lead_id',
	'the DETAIL gives the logical name lead_section_data.lead_id');
SELECT ok(pg_temp.unchanged(), '42703 (mapped to a missing column): nothing written');
SET LOCAL leadstore.table_names = 'leads=qualification, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings';
SELECT throws_ok($$SELECT leadstore.begin_deep_scan('Q-1001')$$,
	'42P01', 'relation "map_q.qualification" does not exist',
	'a table mapped to a name that does not exist: 42P01 naming the actual table');
SELECT matches(pg_temp.error_part($$SELECT leadstore.begin_deep_scan('Q-1001')$$, 'detail'),
	'leads',
	'the DETAIL gives the logical name leads');
SELECT ok(pg_temp.unchanged(), '42P01 (mapped to a missing table): nothing written');
CALL pg_temp.map('map_q');

-- identifier rules: double quotes keep case, unquoted names fold to lower case
CREATE SCHEMA map_case;
CREATE TABLE map_case."Pitches" (LIKE map_q.qualifications INCLUDING ALL);
CREATE TABLE map_case.pitch_section_data (LIKE map_q.qualification_section_data INCLUDING ALL);
CREATE TABLE map_case.deal_embeddings (LIKE map_q.deal_embeddings INCLUDING ALL);
CREATE TABLE map_case.technologies (LIKE map_q.technologies INCLUDING ALL);
INSERT INTO map_case."Pitches" (id, pre_qualification_id, business_unit_id, customer_name)
VALUES ('P-1', 'PQ-1', 'BU-1', 'Case customer');
SET LOCAL leadstore.data_schema = 'map_case';
SET LOCAL leadstore.table_names = 'leads="Pitches", lead_section_data=PITCH_SECTION_DATA, rfp_embeddings=deal_embeddings';
SELECT results_eq(
	$$SELECT rfp_id, created, chunks_written FROM leadstore.store_section_result('P-1', 's', '{}',
	      chunks => '{c}', embeddings => '{1}')$$,
	$$VALUES ('PQ-1', true, 1)$$,
	'"Pitches" keeps its case, PITCH_SECTION_DATA folds to pitch_section_data');
SET LOCAL leadstore.table_names = 'leads=Pitches, lead_section_data=pitch_section_data, rfp_embeddings=deal_embeddings';
SELECT throws_ok($$SELECT leadstore.store_section_result('P-1', 's', '{}')$$,
	'42P01', 'relation "map_case.pitches" does not exist',
	'unquoted Pitches folds to pitches, which does not exist: 42P01');
CALL pg_temp.map('map_q');

--
-- 10. 42804: a column that cannot take the value
--
CALL pg_temp.make_app_schema('map_type');
ALTER TABLE map_type.qualification_section_data ALTER COLUMN confidence TYPE boolean USING NULL;
ALTER TABLE map_type.deal_embeddings ALTER COLUMN embedding TYPE integer USING NULL;
CALL pg_temp.map('map_type');
CALL pg_temp.take_baseline();
SELECT results_eq(
	$$SELECT logical_name, actual_name, status FROM leadstore.check_data_model() WHERE status <> 'ok' ORDER BY logical_name$$,
	$$VALUES ('lead_section_data.confidence', 'qualification_section_data.confidence', 'type'),
	         ('rfp_embeddings.embedding', 'deal_embeddings.embedding', 'type')$$,
	'check_data_model reports both columns with status type');
SELECT throws_ok($$SELECT leadstore.store_chunks(NULL, 'agent', '{a}', '{1}', lead_id => 'Q-1001')$$,
	'42804', 'column "embedding" of relation "map_type.deal_embeddings" has type integer',
	'deal_embeddings.embedding of type integer: 42804 from store_chunks');
SELECT matches(pg_temp.error_part($$SELECT leadstore.store_chunks(NULL, 'agent', '{a}', '{1}', lead_id => 'Q-1001')$$, 'message'),
	'embedding.*integer',
	'the message names the embedding column and its type');
SELECT ok(pg_temp.unchanged(), '42804 (embedding): nothing written');
SELECT results_eq($$SELECT changed FROM leadstore.select_cms('Q-1001', 'tech_wp')$$,
	$$VALUES (true)$$,
	'select_cms, which writes neither column, works in that schema');
ALTER TABLE map_type.deal_embeddings ALTER COLUMN embedding TYPE real[] USING NULL;
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.store_section_result('Q-1001', 'x', '{}', 50)$$,
	'42804', 'column "confidence" of relation "map_type.qualification_section_data" has type boolean',
	'qualification_section_data.confidence of type boolean: 42804');
SELECT matches(pg_temp.error_part($$SELECT leadstore.store_section_result('Q-1001', 'x', '{}', 50)$$, 'message'),
	'confidence.*boolean',
	'the message names the column and its type');
SELECT ok(pg_temp.unchanged(), '42804 (confidence): nothing written');
CALL pg_temp.map('map_q');

--
-- 11. 42P10: no unique index on the section table's (lead_id, section_id)
--	map_dup has a plain index there and duplicate rows from earlier re-runs.
--
CALL pg_temp.make_app_schema('map_dup');
DROP INDEX map_dup.qualification_section_data_qs_idx;
CREATE INDEX qualification_section_data_plain_idx ON map_dup.qualification_section_data (qualification_id, section_id);
INSERT INTO map_dup.qualification_section_data (id, qualification_id, section_id, content, created_at, updated_at)
VALUES ('dup-1', 'Q-1001', 'tech-stack', '{}', '2024-01-01', '2024-01-01'),
	   ('dup-2', 'Q-1001', 'tech-stack', '{}', '2024-01-02', '2024-01-02');
CALL pg_temp.map('map_dup');
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.store_section_result('Q-1001', 'tech-stack', '{"new": true}')$$,
	'42P10', 'relation "map_dup.qualification_section_data" has no unique index on (qualification_id, section_id)',
	'no unique index on (qualification_id, section_id): 42P10 from leadstore');
SELECT imatches(pg_temp.error_part($$SELECT leadstore.store_section_result('Q-1001', 'tech-stack', '{}')$$, 'hint'),
	'CREATE UNIQUE INDEX .*map_dup.*qualification_section_data.*qualification_id, section_id',
	'the HINT gives the CREATE UNIQUE INDEX on the actual table and columns');
SELECT imatches(pg_temp.error_part($$SELECT leadstore.store_section_result('Q-1001', 'tech-stack', '{}')$$, 'hint'),
	'GROUP BY.*HAVING',
	'the HINT gives the query that lists the duplicates');
SELECT ok(pg_temp.unchanged(), '42P10: nothing written');
SELECT results_eq(
	$$SELECT logical_name, status, fix IS NOT NULL FROM leadstore.check_data_model() WHERE status <> 'ok'$$,
	$$VALUES ('lead_section_data(lead_id, section_id) unique', 'constraint', true)$$,
	'check_data_model reports the missing unique key as constraint, with a fix');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks(NULL, 'agent', '{a}', '{1}', lead_id => 'Q-1001')$$,
	$$VALUES ('PQ-77', 'Q-1001', 1, 0)$$,
	'store_chunks, which does not upsert sections, works in that schema');
SELECT results_eq($$SELECT changed FROM leadstore.select_cms('Q-1001', 'tech_wp')$$,
	$$VALUES (true)$$,
	'select_cms works in that schema');
CALL pg_temp.map('map_q');

--
-- 12. check_data_model on a broken-but-fixable schema, every fix run, then all ok
--
CALL pg_temp.make_app_schema('map_broken');
ALTER TABLE map_broken.qualifications DROP COLUMN deep_scan_completed_at;
ALTER TABLE map_broken.qualifications DROP COLUMN deep_scan_error;
ALTER TABLE map_broken.qualification_section_data ALTER COLUMN confidence TYPE boolean USING NULL;
DROP INDEX map_broken.qualification_section_data_qs_idx;
DROP INDEX map_broken.deal_embeddings_q_s_idx;
DROP INDEX map_broken.deal_embeddings_pq_agent_idx;
CALL pg_temp.map('map_broken');
SELECT results_eq(
	$$SELECT logical_name, actual_name, status, fix IS NOT NULL
	  FROM leadstore.check_data_model() WHERE status <> 'ok' ORDER BY logical_name$$,
	$$VALUES ('lead_section_data(lead_id, section_id) unique',
	          'qualification_section_data(qualification_id, section_id)', 'constraint', true),
	         ('lead_section_data.confidence', 'qualification_section_data.confidence', 'type', true),
	         ('leads.deep_scan_completed_at', 'qualifications.deep_scan_completed_at', 'missing', true),
	         ('rfp_embeddings(lead_id, section_id) index', 'deal_embeddings(qualification_id, section_id)', 'index', true),
	         ('rfp_embeddings(rfp_id, agent_name) index', 'deal_embeddings(pre_qualification_id, agent_name)', 'index', true)$$,
	'check_data_model on the broken schema: the missing column, the wrong type, the missing unique key and the two missing indexes, each with a fix');
SELECT results_eq(
	$$SELECT status, fix FROM leadstore.check_data_model() WHERE logical_name = 'leads.deep_scan_error'$$,
	$$VALUES ('ok', NULL::text)$$,
	'the optional deep_scan_error column, absent, is ok');
SELECT matches(
	(SELECT detail FROM leadstore.check_data_model() WHERE logical_name = 'leads.deep_scan_error'),
	'optional',
	'its detail says it is optional');
SELECT is_empty(
	$$SELECT logical_name FROM leadstore.check_data_model()
	  WHERE status = 'ok' AND logical_name NOT LIKE '%(%' AND actual_name NOT LIKE 'map_broken.%'
	    AND logical_name NOT LIKE '%.%'$$,
	'the table rows name the tables of map_broken');
SELECT is_empty('SELECT * FROM pg_temp.run_fixes()',
	'every fix runs without error, in the order check_data_model returns them');
SELECT is_empty(
	$$SELECT logical_name, status FROM leadstore.check_data_model() WHERE status <> 'ok'$$,
	'after running every fix, check_data_model reports only ok rows');
SELECT results_eq(
	$$SELECT created, chunks_written FROM leadstore.store_section_result('Q-1001', 'fixed', '{}', 40,
	      chunks => '{c}', embeddings => '{1}')$$,
	$$VALUES (true, 1)$$,
	'and store_section_result works on the fixed schema');
SELECT results_eq(
	$$SELECT status, transitioned FROM leadstore.finish_deep_scan('Q-1003', outcome => 'completed')$$,
	$$VALUES ('completed', true)$$,
	'and finish_deep_scan writes the added deep_scan_completed_at');

-- the chunk table without its lead and section columns: the fix adds them
CALL pg_temp.make_app_schema('map_nochunkcols');
DROP INDEX map_nochunkcols.deal_embeddings_q_s_idx;
ALTER TABLE map_nochunkcols.deal_embeddings DROP COLUMN qualification_id, DROP COLUMN section_id;
CALL pg_temp.map('map_nochunkcols');
SELECT results_eq(
	$$SELECT logical_name, status FROM leadstore.check_data_model() WHERE status <> 'ok' ORDER BY logical_name$$,
	$$VALUES ('rfp_embeddings(lead_id, section_id) index', 'index'),
	         ('rfp_embeddings.lead_id', 'missing'),
	         ('rfp_embeddings.section_id', 'missing')$$,
	'the chunk table without qualification_id and section_id: both columns missing, and their index');
SELECT imatches(
	(SELECT string_agg(coalesce(detail, '') || ' ' || fix, ' ') FROM leadstore.check_data_model()
	 WHERE logical_name IN ('rfp_embeddings.lead_id', 'rfp_embeddings.section_id')),
	'backfill',
	'the fix or its detail says how to backfill the added columns');
SELECT is_empty('SELECT * FROM pg_temp.run_fixes()',
	'every fix of the chunk table runs without error, in order');
SELECT is_empty(
	$$SELECT logical_name, status FROM leadstore.check_data_model() WHERE status <> 'ok'$$,
	'after the fixes the chunk table is complete');
CALL pg_temp.map('map_q');

--
-- 13. Every function once more on the mapped schema, each returning a row
--
SELECT results_eq(
	$$SELECT (SELECT count(*) FROM leadstore.store_section_result('Q-1002', 'final', '{}', chunks => '{c}', embeddings => '{1}'))
	       + (SELECT count(*) FROM leadstore.store_chunks(NULL, 'final-agent', '{c}', '{1}', lead_id => 'Q-1002'))
	       + (SELECT count(*) FROM leadstore.select_cms('Q-1002', 'tech_wp'))
	       + (SELECT count(*) FROM leadstore.select_cms_if('Q-1002', 'tech_wp', 'tech_drupal'))
	       + (SELECT count(*) FROM leadstore.clear_cms_selection('Q-1002'))
	       + (SELECT count(*) FROM leadstore.select_default_cms('Q-1002'))
	       + (SELECT count(*) FROM leadstore.begin_deep_scan('Q-1002'))
	       + (SELECT count(*) FROM leadstore.finish_deep_scan('Q-1002', now()))$$,
	$$VALUES (8::bigint)$$,
	'all eight writing functions run on the mapped schema in one statement');
SELECT results_eq(
	$$SELECT selected_cms_id::text, deep_scan_status FROM map_q.qualifications WHERE id = 'Q-1002'$$,
	$$VALUES ('tech_drupal', 'completed')$$,
	'their writes landed in qualifications');

SELECT * FROM finish();
ROLLBACK;
