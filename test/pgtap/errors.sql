--
-- errors.sql
--		Every documented error that each function can raise, pinned
--		with throws_ok (SQLSTATE and exact message), each followed by a check
--		that nothing was written: every row of every data-model table (in
--		public and in the err_* schemas used below), row versions included,
--		is exactly as before the call.  For the data-model errors (42P01,
--		42703) the HINT must name the reference script as well.
--
--		Not covered here: 55P03 (nowait on a locked row) needs a second
--		session and is in the isolation suite.
--
BEGIN;
SELECT plan(334);

-- Fixture: a lead with a CMS selected and a stored section with 2 chunks,
-- so that a failing re-run must leave them alone.
INSERT INTO public.business_units (id, name)
VALUES ('err-bu', 'Errors BU'), ('err-bu-2', 'Errors BU 2');
INSERT INTO public.rfps (id, title) VALUES ('err-rfp', 'Errors RFP');
INSERT INTO public.leads (id, rfp_id, business_unit_id, customer_name,
	deep_scan_status, deep_scan_started_at, deep_scan_completed_at,
	created_at, updated_at)
VALUES
	('err-lead', 'err-rfp', 'err-bu', 'Errors Customer', 'pending', NULL, NULL,
	 '2024-01-01', '2024-01-01'),
	('err-lead-done', 'err-rfp', 'err-bu', 'Done Customer', 'completed',
	 '2024-01-01 10:00', '2024-01-01 11:00', '2024-01-01', '2024-01-01'),
	('err-lead-failed', 'err-rfp', 'err-bu', 'Failed Customer', 'failed',
	 '2024-01-01 10:00', '2024-01-01 11:00', '2024-01-01', '2024-01-01');
INSERT INTO public.technologies (id, name, business_unit_id, category, is_default)
VALUES
	('err-cms', 'Errors CMS', 'err-bu', 'CMS', true),
	('err-fw', 'Errors framework', 'err-bu', 'Framework', false),
	('err-nocat', 'Errors uncategorized', 'err-bu', NULL, false),
	('err-lowercase', 'Errors lower-case cms', 'err-bu', 'cms', false),
	('err-cms-2', 'CMS of another business unit', 'err-bu-2', 'CMS', false);

-- Every row of every data-model table in public and in the err_* schemas,
-- with its row version
CREATE FUNCTION pg_temp.data_state()
RETURNS TABLE (tbl text, row_ctid text, row_xmin text, row_text text)
LANGUAGE plpgsql AS $$
DECLARE
	rel regclass;
BEGIN
	FOR rel IN
		SELECT c.oid FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p')
		  AND (s.nspname = 'public' OR s.nspname LIKE 'err\_%')
		  AND c.relname IN ('business_units', 'rfps', 'leads', 'technologies',
		                    'lead_section_data', 'rfp_embeddings')
	LOOP
		RETURN QUERY EXECUTE format(
			'SELECT %L::text, t.ctid::text, t.xmin::text, t::text FROM %s t',
			rel::text, rel);
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
-- The HINT of the error a statement raises (NULL: no error, or no hint)
CREATE FUNCTION pg_temp.hint_of(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	hint text;
BEGIN
	EXECUTE stmt;
	RETURN NULL;
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
	RETURN hint;
END
$$;
-- The message, and the DETAIL, of the error a statement raises
CREATE FUNCTION pg_temp.message_of(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN NULL;
EXCEPTION WHEN others THEN
	RETURN SQLERRM;
END
$$;
CREATE FUNCTION pg_temp.detail_of(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	detail text;
BEGIN
	EXECUTE stmt;
	RETURN NULL;
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN detail;
END
$$;

SELECT results_eq(
	$$SELECT created, chunks_written FROM leadstore.store_section_result('err-lead', 'scope',
	      '{"s": 1}', 50, '["doc"]', '{chunk 0,chunk 1}', '{{1,2},{3,4}}')$$,
	$$VALUES (true, 2)$$,
	'setup: section "scope" of err-lead stored with 2 chunks');
SELECT results_eq($$SELECT changed FROM leadstore.select_cms('err-lead', 'err-cms')$$,
	$$VALUES (true)$$, 'setup: err-cms selected for err-lead');
UPDATE public.lead_section_data SET created_at = '2024-02-01', updated_at = '2024-02-01'
WHERE lead_id = 'err-lead';
UPDATE public.leads SET updated_at = '2024-02-01' WHERE id = 'err-lead';
CALL pg_temp.take_baseline();

--
-- 1. 22004: a required argument is NULL
--
SELECT throws_ok($$SELECT leadstore.store_section_result(lead_id => NULL, section_id => 'scope', content => '{}')$$,
	'22004', 'lead_id must not be null', 'store_section_result, lead_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'store_section_result, lead_id NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result(lead_id => 'err-lead', section_id => NULL, content => '{}')$$,
	'22004', 'section_id must not be null', 'store_section_result, section_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'store_section_result, section_id NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result(lead_id => 'err-lead', section_id => 'scope', content => NULL)$$,
	'22004', 'content must not be null', 'store_section_result, content NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'store_section_result, content NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms(lead_id => NULL, cms_id => 'err-cms')$$,
	'22004', 'lead_id must not be null', 'select_cms, lead_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'select_cms, lead_id NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms(lead_id => 'err-lead', cms_id => NULL)$$,
	'22004', 'cms_id must not be null', 'select_cms, cms_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'select_cms, cms_id NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if(lead_id => NULL, expected_cms_id => 'err-cms', cms_id => 'err-cms')$$,
	'22004', 'lead_id must not be null', 'select_cms_if, lead_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, lead_id NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if(lead_id => 'err-lead', expected_cms_id => 'err-cms', cms_id => NULL)$$,
	'22004', 'cms_id must not be null', 'select_cms_if, cms_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, cms_id NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.clear_cms_selection(lead_id => NULL)$$,
	'22004', 'lead_id must not be null', 'clear_cms_selection, lead_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'clear_cms_selection, lead_id NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.select_default_cms(lead_id => NULL)$$,
	'22004', 'lead_id must not be null', 'select_default_cms, lead_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'select_default_cms, lead_id NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.begin_deep_scan(lead_id => NULL)$$,
	'22004', 'lead_id must not be null', 'begin_deep_scan, lead_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'begin_deep_scan, lead_id NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan(lead_id => NULL)$$,
	'22004', 'lead_id must not be null', 'finish_deep_scan, lead_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, lead_id NULL: nothing written');

--
-- 2. 22023: an empty id (or other text argument)
--
SELECT throws_ok($$SELECT leadstore.store_section_result(lead_id => '', section_id => 'scope', content => '{}')$$,
	'22023', 'lead_id must not be empty', 'store_section_result, lead_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'store_section_result, lead_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result(lead_id => 'err-lead', section_id => '', content => '{}')$$,
	'22023', 'section_id must not be empty', 'store_section_result, section_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'store_section_result, section_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result(lead_id => 'err-lead', section_id => 'scope', content => '{}', chunk_type => '')$$,
	'22023', 'chunk_type must not be empty', 'store_section_result, chunk_type empty: 22023');
SELECT ok(pg_temp.unchanged(), 'store_section_result, chunk_type empty: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result(lead_id => 'err-lead', section_id => 'scope', content => '{}', agent_name => '')$$,
	'22023', 'agent_name must not be empty', 'store_section_result, agent_name empty: 22023');
SELECT ok(pg_temp.unchanged(), 'store_section_result, agent_name empty: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms(lead_id => '', cms_id => 'err-cms')$$,
	'22023', 'lead_id must not be empty', 'select_cms, lead_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms, lead_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms(lead_id => 'err-lead', cms_id => '')$$,
	'22023', 'cms_id must not be empty', 'select_cms, cms_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms, cms_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if(lead_id => '', expected_cms_id => 'err-cms', cms_id => 'err-cms')$$,
	'22023', 'lead_id must not be empty', 'select_cms_if, lead_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, lead_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if(lead_id => 'err-lead', expected_cms_id => '', cms_id => 'err-cms')$$,
	'22023', 'expected_cms_id must not be empty', 'select_cms_if, expected_cms_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, expected_cms_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if(lead_id => 'err-lead', expected_cms_id => 'err-cms', cms_id => '')$$,
	'22023', 'cms_id must not be empty', 'select_cms_if, cms_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, cms_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.clear_cms_selection(lead_id => '')$$,
	'22023', 'lead_id must not be empty', 'clear_cms_selection, lead_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'clear_cms_selection, lead_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.select_default_cms(lead_id => '')$$,
	'22023', 'lead_id must not be empty', 'select_default_cms, lead_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'select_default_cms, lead_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.begin_deep_scan(lead_id => '')$$,
	'22023', 'lead_id must not be empty', 'begin_deep_scan, lead_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'begin_deep_scan, lead_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan(lead_id => '')$$,
	'22023', 'lead_id must not be empty', 'finish_deep_scan, lead_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, lead_id empty: nothing written');

--
-- 3. 22023: invalid values of store_section_result
--	Each call names a stored section of an existing lead, so only the
--	checked value can make it fail.
--
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', confidence => -1)$$,
	'22023', 'confidence -1 is out of range', 'confidence -1: 22023');
SELECT ok(pg_temp.unchanged(), 'confidence -1: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', confidence => 101)$$,
	'22023', 'confidence 101 is out of range', 'confidence 101: 22023');
SELECT ok(pg_temp.unchanged(), 'confidence 101: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', confidence => 100.5)$$,
	'22023', 'confidence 100.5 is out of range', 'confidence 100.5 (rounds to 101): 22023');
SELECT ok(pg_temp.unchanged(), 'confidence 100.5 (rounds to 101): nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', confidence => -0.5)$$,
	'22023', 'confidence -0.5 is out of range', 'confidence -0.5 (rounds to -1): 22023');
SELECT ok(pg_temp.unchanged(), 'confidence -0.5 (rounds to -1): nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', confidence => 'NaN')$$,
	'22023', 'confidence must not be NaN', 'confidence NaN: 22023');
SELECT ok(pg_temp.unchanged(), 'confidence NaN: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', confidence => 'Infinity')$$,
	'22023', 'confidence Infinity is out of range', 'confidence Infinity: 22023');
SELECT ok(pg_temp.unchanged(), 'confidence Infinity: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', confidence => '-Infinity')$$,
	'22023', 'confidence -Infinity is out of range', 'confidence -Infinity: 22023');
SELECT ok(pg_temp.unchanged(), 'confidence -Infinity: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', confidence => 1e30)$$,
	'22023', 'confidence 1000000000000000000000000000000 is out of range', 'confidence 1e30: 22023');
SELECT ok(pg_temp.unchanged(), 'confidence 1e30: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', sources => '"a"')$$,
	'22023', 'sources must be a JSON array or object', 'sources a JSON string: 22023');
SELECT ok(pg_temp.unchanged(), 'sources a JSON string: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', sources => 'null')$$,
	'22023', 'sources must be a JSON array or object', 'sources JSON null: 22023');
SELECT ok(pg_temp.unchanged(), 'sources JSON null: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', sources => '42')$$,
	'22023', 'sources must be a JSON array or object', 'sources a JSON number: 22023');
SELECT ok(pg_temp.unchanged(), 'sources a JSON number: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', sources => 'true')$$,
	'22023', 'sources must be a JSON array or object', 'sources a JSON boolean: 22023');
SELECT ok(pg_temp.unchanged(), 'sources a JSON boolean: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{{a,b}}', embeddings => '{{1},{2}}')$$,
	'22023', 'chunks must be a one-dimensional array', 'chunks 2-D: 22023');
SELECT ok(pg_temp.unchanged(), 'chunks 2-D: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a,NULL}', embeddings => '{{1},{2}}')$$,
	'22023', 'chunks element 2 is null', 'chunks with a NULL element: 22023');
SELECT ok(pg_temp.unchanged(), 'chunks with a NULL element: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a,b}', embeddings => '{{1,2},{3,4},{5,6}}')$$,
	'22023', 'embeddings does not have one row per chunk', '3 embedding rows for 2 chunks: 22023');
SELECT ok(pg_temp.unchanged(), '3 embedding rows for 2 chunks: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a,b}', embeddings => '{1,2}')$$,
	'22023', 'embeddings does not have one row per chunk', 'a 1-D embedding for 2 chunks: 22023');
SELECT ok(pg_temp.unchanged(), 'a 1-D embedding for 2 chunks: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', embeddings => '{1,2}')$$,
	'22023', 'embeddings does not have one row per chunk', 'an embedding without chunks: 22023');
SELECT ok(pg_temp.unchanged(), 'an embedding without chunks: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{}', embeddings => '{{1},{2}}')$$,
	'22023', 'embeddings does not have one row per chunk', '2 embedding rows for empty chunks: 22023');
SELECT ok(pg_temp.unchanged(), '2 embedding rows for empty chunks: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings => '{{{1,2}}}')$$,
	'22023', 'embeddings must have 1 or 2 dimensions, not 3', '3-D embeddings: 22023');
SELECT ok(pg_temp.unchanged(), '3-D embeddings: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings => '{{1,NULL}}')$$,
	'22023', 'embeddings must not contain null elements', 'an embedding with a NULL element: 22023');
SELECT ok(pg_temp.unchanged(), 'an embedding with a NULL element: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a,b}', embeddings => '{{1,2},{3,NaN}}')$$,
	'22023', 'embeddings element [2][2] is NaN', 'an embedding with NaN: 22023');
SELECT ok(pg_temp.unchanged(), 'an embedding with NaN: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings => '{Infinity,1}')$$,
	'22023', 'embeddings element [1][1] is Infinity', 'an embedding with Infinity: 22023');
SELECT ok(pg_temp.unchanged(), 'an embedding with Infinity: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a,b}', embeddings => '{{1,2},{-Infinity,4}}')$$,
	'22023', 'embeddings element [2][1] is -Infinity', 'an embedding with -Infinity: 22023');
SELECT ok(pg_temp.unchanged(), 'an embedding with -Infinity: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings => array_fill(0.5::real, ARRAY[16001]))$$,
	'22023', 'embeddings has dimension 16001', 'dimension 16001: 22023');
SELECT ok(pg_temp.unchanged(), 'dimension 16001: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a,b}', embeddings => array_fill(0.5::real, ARRAY[2, 16001]))$$,
	'22023', 'embeddings has dimension 16001', '2 x 16001 embeddings: 22023');
SELECT ok(pg_temp.unchanged(), '2 x 16001 embeddings: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings => '{1}', embeddings_packed => '\x0000803f')$$,
	'22023', 'embeddings and embeddings_packed cannot both be given', 'both embedding forms: 22023');
SELECT ok(pg_temp.unchanged(), 'both embedding forms: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a,b}')$$,
	'22023', 'chunks need embeddings', 'chunks without embeddings: 22023');
SELECT ok(pg_temp.unchanged(), 'chunks without embeddings: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a,b}', embeddings_packed => '\x0000803f0000803f0000803f')$$,
	'22023', 'embeddings_packed length 12 is not a positive multiple of 4 x 2', 'packed length 12 for 2 chunks: 22023');
SELECT ok(pg_temp.unchanged(), 'packed length 12 for 2 chunks: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings_packed => '\x0000803f0000')$$,
	'22023', 'embeddings_packed length 6 is not a positive multiple of 4 x 1', 'packed length 6: 22023');
SELECT ok(pg_temp.unchanged(), 'packed length 6: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings_packed => '\x')$$,
	'22023', 'embeddings_packed length 0 is not a positive multiple of 4 x 1', 'packed dimension 0: 22023');
SELECT ok(pg_temp.unchanged(), 'packed dimension 0: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', embeddings_packed => '\x0000803f')$$,
	'22023', 'embeddings_packed does not have one row per chunk', 'packed embeddings without chunks: 22023');
SELECT ok(pg_temp.unchanged(), 'packed embeddings without chunks: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings_packed => '\x0000803f0000c07f')$$,
	'22023', 'embeddings_packed element [1][2] is NaN', 'packed NaN: 22023');
SELECT ok(pg_temp.unchanged(), 'packed NaN: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a,b}', embeddings_packed => '\x0000803f0000807f')$$,
	'22023', 'embeddings_packed element [2][1] is Infinity', 'packed Infinity: 22023');
SELECT ok(pg_temp.unchanged(), 'packed Infinity: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings_packed => '\x000080ff')$$,
	'22023', 'embeddings_packed element [1][1] is -Infinity', 'packed -Infinity: 22023');
SELECT ok(pg_temp.unchanged(), 'packed -Infinity: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings_packed => decode(repeat('0000803f', 16001), 'hex'))$$,
	'22023', 'embeddings_packed has dimension 16001', 'packed dimension 16001: 22023');
SELECT ok(pg_temp.unchanged(), 'packed dimension 16001: nothing written');

SET LOCAL leadstore.embedding_dimensions = 3;
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings => '{1,2}')$$,
	'22023', 'embeddings has dimension 2, expected 3', 'dimension 2 with leadstore.embedding_dimensions = 3: 22023');
SELECT ok(pg_temp.unchanged(), 'dimension 2 with leadstore.embedding_dimensions = 3: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a,b}', embeddings => '{{1,2,3,4},{5,6,7,8}}')$$,
	'22023', 'embeddings has dimension 4, expected 3', 'dimension 4 with leadstore.embedding_dimensions = 3: 22023');
SELECT ok(pg_temp.unchanged(), 'dimension 4 with leadstore.embedding_dimensions = 3: nothing written');
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{"s": 2}', chunks => '{a}', embeddings_packed => '\x0000803f0000803f')$$,
	'22023', 'embeddings_packed has dimension 2, expected 3', 'packed dimension 2 with leadstore.embedding_dimensions = 3: 22023');
SELECT ok(pg_temp.unchanged(), 'packed dimension 2 with leadstore.embedding_dimensions = 3: nothing written');
SET LOCAL leadstore.embedding_dimensions = 0;

--
-- 4. P0002: the lead, or the technology, does not exist
--
SELECT throws_ok($$SELECT leadstore.store_section_result('err-nope', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$,
	'P0002', 'lead "err-nope" does not exist', 'store_section_result, missing lead: P0002');
SELECT ok(pg_temp.unchanged(), 'store_section_result, missing lead: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms('err-nope', 'err-cms')$$,
	'P0002', 'lead "err-nope" does not exist', 'select_cms, missing lead: P0002');
SELECT ok(pg_temp.unchanged(), 'select_cms, missing lead: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-nope')$$,
	'P0002', 'technology "err-nope" does not exist', 'select_cms, missing technology: P0002');
SELECT ok(pg_temp.unchanged(), 'select_cms, missing technology: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if('err-nope', NULL, 'err-cms')$$,
	'P0002', 'lead "err-nope" does not exist', 'select_cms_if, missing lead: P0002');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, missing lead: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if('err-lead', 'err-cms', 'err-nope')$$,
	'P0002', 'technology "err-nope" does not exist', 'select_cms_if, missing technology: P0002');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, missing technology: nothing written');
SELECT throws_ok($$SELECT leadstore.clear_cms_selection('err-nope')$$,
	'P0002', 'lead "err-nope" does not exist', 'clear_cms_selection, missing lead: P0002');
SELECT ok(pg_temp.unchanged(), 'clear_cms_selection, missing lead: nothing written');
SELECT throws_ok($$SELECT leadstore.select_default_cms('err-nope')$$,
	'P0002', 'lead "err-nope" does not exist', 'select_default_cms, missing lead: P0002');
SELECT ok(pg_temp.unchanged(), 'select_default_cms, missing lead: nothing written');
SELECT throws_ok($$SELECT leadstore.begin_deep_scan('err-nope')$$,
	'P0002', 'lead "err-nope" does not exist', 'begin_deep_scan, missing lead: P0002');
SELECT ok(pg_temp.unchanged(), 'begin_deep_scan, missing lead: nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-nope')$$,
	'P0002', 'lead "err-nope" does not exist', 'finish_deep_scan, missing lead: P0002');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, missing lead: nothing written');

--
-- 5. 22023: the technology is not a CMS of the lead's business unit, and other invalid values
--
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-fw')$$,
	'22023', 'technology "err-fw" is not a CMS', 'select_cms, category Framework: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms, category Framework: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-nocat')$$,
	'22023', 'technology "err-nocat" is not a CMS', 'select_cms, no category: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms, no category: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-lowercase')$$,
	'22023', 'technology "err-lowercase" is not a CMS', 'select_cms, category cms in lower case: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms, category cms in lower case: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-cms-2')$$,
	'22023', 'technology "err-cms-2" does not belong to the business unit of lead "err-lead"', 'select_cms, CMS of another business unit: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms, CMS of another business unit: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if('err-lead', 'err-cms', 'err-fw')$$,
	'22023', 'technology "err-fw" is not a CMS', 'select_cms_if, not a CMS: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, not a CMS: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if('err-lead', 'err-cms', 'err-cms-2')$$,
	'22023', 'technology "err-cms-2" does not belong to the business unit of lead "err-lead"', 'select_cms_if, CMS of another business unit: 22023');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, CMS of another business unit: nothing written');
SELECT throws_ok($$SELECT leadstore.begin_deep_scan('err-lead', '-1 minute')$$,
	'22023', 'stale_after must not be negative', 'begin_deep_scan, negative stale_after: 22023');
SELECT ok(pg_temp.unchanged(), 'begin_deep_scan, negative stale_after: nothing written');

--
-- 6. 55000: finish_deep_scan on a lead that is not running
--
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead')$$,
	'55000', 'lead "err-lead" has no deep scan running', 'finish_deep_scan, pending lead: 55000');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, pending lead: nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead-done')$$,
	'55000', 'lead "err-lead-done" has no deep scan running', 'finish_deep_scan, completed lead: 55000');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, completed lead: nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead-failed')$$,
	'55000', 'lead "err-lead-failed" has no deep scan running', 'finish_deep_scan, failed lead: 55000');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, failed lead: nothing written');

--
-- 7. 42P01: leadstore.data_schema names a schema that does not exist
--
SET LOCAL leadstore.data_schema = 'err_missing';
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$,
	'42P01', 'leadstore data schema "err_missing" does not exist', 'store_section_result, no schema err_missing: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$), 'leadstore_data_model\.sql',
	'store_section_result, no schema err_missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'store_section_result, no schema err_missing: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$,
	'42P01', 'leadstore data schema "err_missing" does not exist', 'select_cms, no schema err_missing: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms, no schema err_missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms, no schema err_missing: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if('err-lead', NULL, 'err-cms')$$,
	'42P01', 'leadstore data schema "err_missing" does not exist', 'select_cms_if, no schema err_missing: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms_if('err-lead', NULL, 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms_if, no schema err_missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, no schema err_missing: nothing written');
SELECT throws_ok($$SELECT leadstore.clear_cms_selection('err-lead')$$,
	'42P01', 'leadstore data schema "err_missing" does not exist', 'clear_cms_selection, no schema err_missing: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.clear_cms_selection('err-lead')$$), 'leadstore_data_model\.sql',
	'clear_cms_selection, no schema err_missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'clear_cms_selection, no schema err_missing: nothing written');
SELECT throws_ok($$SELECT leadstore.select_default_cms('err-lead')$$,
	'42P01', 'leadstore data schema "err_missing" does not exist', 'select_default_cms, no schema err_missing: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_default_cms('err-lead')$$), 'leadstore_data_model\.sql',
	'select_default_cms, no schema err_missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_default_cms, no schema err_missing: nothing written');
SELECT throws_ok($$SELECT leadstore.begin_deep_scan('err-lead')$$,
	'42P01', 'leadstore data schema "err_missing" does not exist', 'begin_deep_scan, no schema err_missing: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.begin_deep_scan('err-lead')$$), 'leadstore_data_model\.sql',
	'begin_deep_scan, no schema err_missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'begin_deep_scan, no schema err_missing: nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead-running')$$,
	'42P01', 'leadstore data schema "err_missing" does not exist', 'finish_deep_scan, no schema err_missing: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.finish_deep_scan('err-lead-running')$$), 'leadstore_data_model\.sql',
	'finish_deep_scan, no schema err_missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, no schema err_missing: nothing written');
SET LOCAL leadstore.data_schema = 'public';

--
-- 8. 42P01: leadstore.data_schema names a schema without the tables
--
CREATE SCHEMA err_empty;
SET LOCAL leadstore.data_schema = 'err_empty';
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$,
	'42P01', 'relation "err_empty.leads" does not exist', 'store_section_result, empty schema: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$), 'leadstore_data_model\.sql',
	'store_section_result, empty schema: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'store_section_result, empty schema: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$,
	'42P01', 'relation "err_empty.leads" does not exist', 'select_cms, empty schema: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms, empty schema: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms, empty schema: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if('err-lead', NULL, 'err-cms')$$,
	'42P01', 'relation "err_empty.leads" does not exist', 'select_cms_if, empty schema: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms_if('err-lead', NULL, 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms_if, empty schema: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, empty schema: nothing written');
SELECT throws_ok($$SELECT leadstore.clear_cms_selection('err-lead')$$,
	'42P01', 'relation "err_empty.leads" does not exist', 'clear_cms_selection, empty schema: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.clear_cms_selection('err-lead')$$), 'leadstore_data_model\.sql',
	'clear_cms_selection, empty schema: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'clear_cms_selection, empty schema: nothing written');
SELECT throws_ok($$SELECT leadstore.select_default_cms('err-lead')$$,
	'42P01', 'relation "err_empty.leads" does not exist', 'select_default_cms, empty schema: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_default_cms('err-lead')$$), 'leadstore_data_model\.sql',
	'select_default_cms, empty schema: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_default_cms, empty schema: nothing written');
SELECT throws_ok($$SELECT leadstore.begin_deep_scan('err-lead')$$,
	'42P01', 'relation "err_empty.leads" does not exist', 'begin_deep_scan, empty schema: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.begin_deep_scan('err-lead')$$), 'leadstore_data_model\.sql',
	'begin_deep_scan, empty schema: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'begin_deep_scan, empty schema: nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead-running')$$,
	'42P01', 'relation "err_empty.leads" does not exist', 'finish_deep_scan, empty schema: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.finish_deep_scan('err-lead-running')$$), 'leadstore_data_model\.sql',
	'finish_deep_scan, empty schema: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, empty schema: nothing written');
SET LOCAL leadstore.data_schema = 'public';

--
-- 9. 42P01: a schema with some of the tables
--	err_partial has leads only (no foreign keys), then lead_section_data,
--	then a view named rfp_embeddings.  begin_deep_scan writes the lead
--	before it needs lead_section_data, store_section_result writes the
--	section before it needs rfp_embeddings: both must be undone.
--
CREATE SCHEMA err_partial;
CREATE TABLE err_partial.leads (LIKE public.leads INCLUDING ALL);
INSERT INTO err_partial.leads (id, rfp_id, business_unit_id, customer_name,
	deep_scan_status, deep_scan_started_at, updated_at)
VALUES ('err-lead', 'err-rfp', 'err-bu', 'Partial Customer', 'pending', NULL, '2024-01-01'),
	   ('err-lead-running', 'err-rfp', 'err-bu', 'Partial Running', 'running',
	    '2024-01-01 10:00', '2024-01-01');
CALL pg_temp.take_baseline();
SET LOCAL leadstore.data_schema = 'err_partial';
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$,
	'42P01', 'relation "err_partial.lead_section_data" does not exist', 'store_section_result, no lead_section_data: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$), 'leadstore_data_model\.sql',
	'store_section_result, no lead_section_data: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'store_section_result, no lead_section_data: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$,
	'42P01', 'relation "err_partial.technologies" does not exist', 'select_cms, no technologies: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms, no technologies: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms, no technologies: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if('err-lead', NULL, 'err-cms')$$,
	'42P01', 'relation "err_partial.technologies" does not exist', 'select_cms_if, no technologies: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms_if('err-lead', NULL, 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms_if, no technologies: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, no technologies: nothing written');
SELECT throws_ok($$SELECT leadstore.select_default_cms('err-lead')$$,
	'42P01', 'relation "err_partial.technologies" does not exist', 'select_default_cms, no technologies: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_default_cms('err-lead')$$), 'leadstore_data_model\.sql',
	'select_default_cms, no technologies: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_default_cms, no technologies: nothing written');
SELECT throws_ok($$SELECT leadstore.begin_deep_scan('err-lead')$$,
	'42P01', 'relation "err_partial.lead_section_data" does not exist', 'begin_deep_scan, no lead_section_data (after its lead update): 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.begin_deep_scan('err-lead')$$), 'leadstore_data_model\.sql',
	'begin_deep_scan, no lead_section_data (after its lead update): the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'begin_deep_scan, no lead_section_data (after its lead update): nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead-running')$$,
	'42P01', 'relation "err_partial.lead_section_data" does not exist', 'finish_deep_scan, no lead_section_data: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.finish_deep_scan('err-lead-running')$$), 'leadstore_data_model\.sql',
	'finish_deep_scan, no lead_section_data: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, no lead_section_data: nothing written');
CREATE TABLE err_partial.lead_section_data (LIKE public.lead_section_data INCLUDING ALL);
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$,
	'42P01', 'relation "err_partial.rfp_embeddings" does not exist', 'store_section_result, no rfp_embeddings (after its upsert): 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$), 'leadstore_data_model\.sql',
	'store_section_result, no rfp_embeddings (after its upsert): the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'store_section_result, no rfp_embeddings (after its upsert): nothing written');
CREATE VIEW err_partial.rfp_embeddings AS SELECT * FROM public.rfp_embeddings;
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$,
	'42P01', 'relation "err_partial.rfp_embeddings" is not a table', 'store_section_result, rfp_embeddings is a view: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$), 'leadstore_data_model\.sql',
	'store_section_result, rfp_embeddings is a view: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'store_section_result, rfp_embeddings is a view: nothing written');
SET LOCAL leadstore.data_schema = 'public';

--
-- 10. 42703: a column of leads is missing
--	err_nolead holds the reference data model without
--	leads.deep_scan_completed_at, dropped before any call.
--
CREATE SCHEMA err_nolead;
SET LOCAL search_path = err_nolead;
\ir ../../sql/leadstore_data_model.sql
RESET search_path;
ALTER TABLE err_nolead.leads DROP COLUMN deep_scan_completed_at;
INSERT INTO err_nolead.business_units (id, name) VALUES ('err-bu', 'BU');
INSERT INTO err_nolead.rfps (id) VALUES ('err-rfp');
INSERT INTO err_nolead.leads (id, rfp_id, business_unit_id, customer_name,
	deep_scan_status, deep_scan_started_at, updated_at)
VALUES ('err-lead', 'err-rfp', 'err-bu', 'C', 'pending', NULL, '2024-01-01'),
	   ('err-lead-running', 'err-rfp', 'err-bu', 'C', 'running', '2024-01-01 10:00', '2024-01-01');
INSERT INTO err_nolead.technologies (id, name, business_unit_id, category)
VALUES ('err-cms', 'CMS', 'err-bu', 'CMS');
CALL pg_temp.take_baseline();
SET LOCAL leadstore.data_schema = 'err_nolead';
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$,
	'42703', 'column "deep_scan_completed_at" of relation "err_nolead.leads" does not exist', 'store_section_result, leads.deep_scan_completed_at missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$), 'leadstore_data_model\.sql',
	'store_section_result, leads.deep_scan_completed_at missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'store_section_result, leads.deep_scan_completed_at missing: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$,
	'42703', 'column "deep_scan_completed_at" of relation "err_nolead.leads" does not exist', 'select_cms, leads.deep_scan_completed_at missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms, leads.deep_scan_completed_at missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms, leads.deep_scan_completed_at missing: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if('err-lead', NULL, 'err-cms')$$,
	'42703', 'column "deep_scan_completed_at" of relation "err_nolead.leads" does not exist', 'select_cms_if, leads.deep_scan_completed_at missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms_if('err-lead', NULL, 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms_if, leads.deep_scan_completed_at missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, leads.deep_scan_completed_at missing: nothing written');
SELECT throws_ok($$SELECT leadstore.clear_cms_selection('err-lead')$$,
	'42703', 'column "deep_scan_completed_at" of relation "err_nolead.leads" does not exist', 'clear_cms_selection, leads.deep_scan_completed_at missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.clear_cms_selection('err-lead')$$), 'leadstore_data_model\.sql',
	'clear_cms_selection, leads.deep_scan_completed_at missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'clear_cms_selection, leads.deep_scan_completed_at missing: nothing written');
SELECT throws_ok($$SELECT leadstore.select_default_cms('err-lead')$$,
	'42703', 'column "deep_scan_completed_at" of relation "err_nolead.leads" does not exist', 'select_default_cms, leads.deep_scan_completed_at missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_default_cms('err-lead')$$), 'leadstore_data_model\.sql',
	'select_default_cms, leads.deep_scan_completed_at missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_default_cms, leads.deep_scan_completed_at missing: nothing written');
SELECT throws_ok($$SELECT leadstore.begin_deep_scan('err-lead')$$,
	'42703', 'column "deep_scan_completed_at" of relation "err_nolead.leads" does not exist', 'begin_deep_scan, leads.deep_scan_completed_at missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.begin_deep_scan('err-lead')$$), 'leadstore_data_model\.sql',
	'begin_deep_scan, leads.deep_scan_completed_at missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'begin_deep_scan, leads.deep_scan_completed_at missing: nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead-running')$$,
	'42703', 'column "deep_scan_completed_at" of relation "err_nolead.leads" does not exist', 'finish_deep_scan, leads.deep_scan_completed_at missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.finish_deep_scan('err-lead-running')$$), 'leadstore_data_model\.sql',
	'finish_deep_scan, leads.deep_scan_completed_at missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, leads.deep_scan_completed_at missing: nothing written');
SET LOCAL leadstore.data_schema = 'public';

--
-- 11. 42703: a column of lead_section_data, technologies or rfp_embeddings is missing, or has another type
--	err_nocol holds the reference data model; columns are dropped (and
--	put back) one table at a time.
--
CREATE SCHEMA err_nocol;
SET LOCAL search_path = err_nocol;
\ir ../../sql/leadstore_data_model.sql
RESET search_path;
INSERT INTO err_nocol.business_units (id, name) VALUES ('err-bu', 'BU');
INSERT INTO err_nocol.rfps (id) VALUES ('err-rfp');
INSERT INTO err_nocol.leads (id, rfp_id, business_unit_id, customer_name,
	deep_scan_status, deep_scan_started_at, updated_at)
VALUES ('err-lead', 'err-rfp', 'err-bu', 'C', 'pending', NULL, '2024-01-01'),
	   ('err-lead-running', 'err-rfp', 'err-bu', 'C', 'running', '2024-01-01 10:00', '2024-01-01');
INSERT INTO err_nocol.technologies (id, name, business_unit_id, category)
VALUES ('err-cms', 'CMS', 'err-bu', 'CMS');
ALTER TABLE err_nocol.lead_section_data DROP COLUMN confidence;
CALL pg_temp.take_baseline();
SET LOCAL leadstore.data_schema = 'err_nocol';
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$,
	'42703', 'column "confidence" of relation "err_nocol.lead_section_data" does not exist', 'store_section_result, lead_section_data.confidence missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$), 'leadstore_data_model\.sql',
	'store_section_result, lead_section_data.confidence missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'store_section_result, lead_section_data.confidence missing: nothing written');
SELECT throws_ok($$SELECT leadstore.begin_deep_scan('err-lead')$$,
	'42703', 'column "confidence" of relation "err_nocol.lead_section_data" does not exist', 'begin_deep_scan, lead_section_data.confidence missing (after its lead update): 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.begin_deep_scan('err-lead')$$), 'leadstore_data_model\.sql',
	'begin_deep_scan, lead_section_data.confidence missing (after its lead update): the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'begin_deep_scan, lead_section_data.confidence missing (after its lead update): nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead-running')$$,
	'42703', 'column "confidence" of relation "err_nocol.lead_section_data" does not exist', 'finish_deep_scan, lead_section_data.confidence missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.finish_deep_scan('err-lead-running')$$), 'leadstore_data_model\.sql',
	'finish_deep_scan, lead_section_data.confidence missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, lead_section_data.confidence missing: nothing written');
ALTER TABLE err_nocol.lead_section_data ADD COLUMN confidence integer;
ALTER TABLE err_nocol.technologies DROP COLUMN is_default;
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$,
	'42703', 'column "is_default" of relation "err_nocol.technologies" does not exist', 'select_cms, technologies.is_default missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms, technologies.is_default missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms, technologies.is_default missing: nothing written');
SELECT throws_ok($$SELECT leadstore.select_cms_if('err-lead', NULL, 'err-cms')$$,
	'42703', 'column "is_default" of relation "err_nocol.technologies" does not exist', 'select_cms_if, technologies.is_default missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms_if('err-lead', NULL, 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms_if, technologies.is_default missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms_if, technologies.is_default missing: nothing written');
SELECT throws_ok($$SELECT leadstore.select_default_cms('err-lead')$$,
	'42703', 'column "is_default" of relation "err_nocol.technologies" does not exist', 'select_default_cms, technologies.is_default missing: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_default_cms('err-lead')$$), 'leadstore_data_model\.sql',
	'select_default_cms, technologies.is_default missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_default_cms, technologies.is_default missing: nothing written');
ALTER TABLE err_nocol.technologies ADD COLUMN is_default boolean NOT NULL DEFAULT false;
ALTER TABLE err_nocol.rfp_embeddings DROP COLUMN metadata;
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$,
	'42703', 'column "metadata" of relation "err_nocol.rfp_embeddings" does not exist', 'store_section_result, rfp_embeddings.metadata missing (after its upsert): 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$), 'leadstore_data_model\.sql',
	'store_section_result, rfp_embeddings.metadata missing (after its upsert): the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'store_section_result, rfp_embeddings.metadata missing (after its upsert): nothing written');
ALTER TABLE err_nocol.rfp_embeddings ADD COLUMN metadata jsonb;

--
-- 11b. 42804: a column whose type cannot take what leadstore writes
--	(text, json and jsonb all take JSON; an integer cannot)
--
ALTER TABLE err_nocol.lead_section_data ALTER COLUMN sources TYPE integer USING NULL;
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$,
	'42804', 'column "sources" of relation "err_nocol.lead_section_data" has type integer', 'store_section_result, lead_section_data.sources of type integer: 42804');
SELECT matches(pg_temp.message_of($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}', chunks => '{a}', embeddings => '{1}')$$),
	'sources.*integer',
	'store_section_result, lead_section_data.sources of type integer: the message names the column and its type');
SELECT ok(pg_temp.unchanged(), 'store_section_result, lead_section_data.sources of type integer: nothing written');
ALTER TABLE err_nocol.lead_section_data ALTER COLUMN sources TYPE jsonb USING NULL;
ALTER TABLE err_nocol.rfp_embeddings ALTER COLUMN chunk_index TYPE boolean USING NULL;
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.store_chunks(NULL, 'agent', '{a}', '{1}', lead_id => 'err-lead')$$,
	'42804', 'column "chunk_index" of relation "err_nocol.rfp_embeddings" has type boolean', 'store_chunks, rfp_embeddings.chunk_index of type boolean: 42804');
SELECT matches(pg_temp.message_of($$SELECT leadstore.store_chunks(NULL, 'agent', '{a}', '{1}', lead_id => 'err-lead')$$),
	'chunk_index.*boolean',
	'store_chunks, rfp_embeddings.chunk_index of type boolean: the message names the column and its type');
SELECT ok(pg_temp.unchanged(), 'store_chunks, rfp_embeddings.chunk_index of type boolean: nothing written');
ALTER TABLE err_nocol.rfp_embeddings ALTER COLUMN chunk_index TYPE integer USING 0;
ALTER TABLE err_nocol.leads ALTER COLUMN deep_scan_started_at TYPE integer USING NULL;
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.begin_deep_scan('err-lead')$$,
	'42804', 'column "deep_scan_started_at" of relation "err_nocol.leads" has type integer', 'begin_deep_scan, leads.deep_scan_started_at of type integer: 42804');
SELECT matches(pg_temp.message_of($$SELECT leadstore.begin_deep_scan('err-lead')$$),
	'deep_scan_started_at.*integer',
	'begin_deep_scan, leads.deep_scan_started_at of type integer: the message names the column and its type');
SELECT ok(pg_temp.unchanged(), 'begin_deep_scan, leads.deep_scan_started_at of type integer: nothing written');
ALTER TABLE err_nocol.leads ALTER COLUMN deep_scan_started_at TYPE timestamptz USING NULL;
SET LOCAL leadstore.data_schema = 'public';

--
-- 12. 42703 after the data model changed under a backend that used it
--	store_section_result has run against err_stale (so this backend has
--	checked its leads table); then a migration drops
--	leads.selected_cms_id.  The first select_cms afterwards must still
--	report the missing column as leadstore does, with the HINT.
--
CREATE SCHEMA err_stale;
SET LOCAL search_path = err_stale;
\ir ../../sql/leadstore_data_model.sql
RESET search_path;
INSERT INTO err_stale.business_units (id, name) VALUES ('err-bu', 'BU');
INSERT INTO err_stale.rfps (id) VALUES ('err-rfp');
INSERT INTO err_stale.leads (id, rfp_id, business_unit_id, customer_name, updated_at)
VALUES ('err-lead', 'err-rfp', 'err-bu', 'C', '2024-01-01');
INSERT INTO err_stale.technologies (id, name, business_unit_id, category)
VALUES ('err-cms', 'CMS', 'err-bu', 'CMS');
SET LOCAL leadstore.data_schema = 'err_stale';
SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('err-lead', 'scope', '{}')$$,
	$$VALUES (true)$$,
	'setup: store_section_result works against err_stale');
ALTER TABLE err_stale.leads DROP COLUMN selected_cms_id;
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$,
	'42703', 'column "selected_cms_id" of relation "err_stale.leads" does not exist', 'select_cms, leads.selected_cms_id dropped after the schema was used: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.select_cms('err-lead', 'err-cms')$$), 'leadstore_data_model\.sql',
	'select_cms, leads.selected_cms_id dropped after the schema was used: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'select_cms, leads.selected_cms_id dropped after the schema was used: nothing written');
SET LOCAL leadstore.data_schema = 'public';

--
-- 13. store_chunks: 22004, 22023, P0002, 42P01
--
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.store_chunks(rfp_id => NULL, agent_name => 'agent', chunks => '{a}', embeddings => '{1}')$$,
	'22004', 'rfp_id must not be null when lead_id is null', 'store_chunks, rfp_id and lead_id NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'store_chunks, rfp_id and lead_id NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks(rfp_id => 'err-rfp', agent_name => NULL, chunks => '{a}', embeddings => '{1}')$$,
	'22004', 'agent_name must not be null', 'store_chunks, agent_name NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'store_chunks, agent_name NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks(rfp_id => 'err-rfp', agent_name => 'agent', chunks => NULL)$$,
	'22004', 'chunks must not be null', 'store_chunks, chunks NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'store_chunks, chunks NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks(rfp_id => '', agent_name => 'agent', chunks => '{a}', embeddings => '{1}')$$,
	'22023', 'rfp_id must not be empty', 'store_chunks, rfp_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'store_chunks, rfp_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks(rfp_id => 'err-rfp', agent_name => '', chunks => '{a}', embeddings => '{1}')$$,
	'22023', 'agent_name must not be empty', 'store_chunks, agent_name empty: 22023');
SELECT ok(pg_temp.unchanged(), 'store_chunks, agent_name empty: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks(rfp_id => NULL, agent_name => 'agent', chunks => '{a}', embeddings => '{1}', lead_id => '')$$,
	'22023', 'lead_id must not be empty', 'store_chunks, lead_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'store_chunks, lead_id empty: nothing written');
INSERT INTO public.rfps (id, title) VALUES ('err-rfp-2', 'Errors RFP 2');
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.store_chunks(rfp_id => 'err-rfp-2', agent_name => 'agent', chunks => '{a}', embeddings => '{1}', lead_id => 'err-lead')$$,
	'22023', 'rfp_id "err-rfp-2" does not match lead "err-lead"', 'store_chunks, rfp_id differs from the lead''s: 22023');
SELECT matches(pg_temp.message_of($$SELECT leadstore.store_chunks(rfp_id => 'err-rfp-2', agent_name => 'agent', chunks => '{a}', embeddings => '{1}', lead_id => 'err-lead')$$)
	|| ' ' || coalesce(pg_temp.detail_of($$SELECT leadstore.store_chunks(rfp_id => 'err-rfp-2', agent_name => 'agent', chunks => '{a}', embeddings => '{1}', lead_id => 'err-lead')$$), ''),
	'err-rfp-2.*err-rfp|err-rfp.*err-rfp-2',
	'store_chunks, rfp_id differs from the lead''s: the error names both rfp ids');
SELECT ok(pg_temp.unchanged(), 'store_chunks, rfp_id differs from the lead''s: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks(rfp_id => NULL, agent_name => 'agent', chunks => '{a}', embeddings => '{1}', lead_id => 'err-nope')$$,
	'P0002', 'lead "err-nope" does not exist', 'store_chunks, missing lead: P0002');
SELECT ok(pg_temp.unchanged(), 'store_chunks, missing lead: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks(rfp_id => 'err-rfp', agent_name => 'agent', chunks => '{a,b}', embeddings => '{1,2}')$$,
	'22023', 'embeddings does not have one row per chunk', 'store_chunks, a 1-D embedding for 2 chunks: 22023');
SELECT ok(pg_temp.unchanged(), 'store_chunks, a 1-D embedding for 2 chunks: nothing written');
SET LOCAL leadstore.data_schema = 'err_missing';
SELECT throws_ok($$SELECT leadstore.store_chunks('err-rfp', 'agent', '{a}', '{1}')$$,
	'42P01', 'leadstore data schema "err_missing" does not exist', 'store_chunks, no schema err_missing: 42P01');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.store_chunks('err-rfp', 'agent', '{a}', '{1}')$$), 'leadstore_data_model\.sql',
	'store_chunks, no schema err_missing: the HINT names leadstore_data_model.sql');
SELECT ok(pg_temp.unchanged(), 'store_chunks, no schema err_missing: nothing written');
SET LOCAL leadstore.data_schema = 'err_empty';
SELECT throws_ok($$SELECT leadstore.store_chunks('err-rfp', 'agent', '{a}', '{1}')$$,
	'42P01', 'relation "err_empty.rfp_embeddings" does not exist', 'store_chunks (RFP-level), empty schema: 42P01 for rfp_embeddings');
SELECT ok(pg_temp.unchanged(), 'store_chunks (RFP-level), empty schema: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks(NULL, 'agent', '{a}', '{1}', lead_id => 'err-lead')$$,
	'42P01', 'relation "err_empty.leads" does not exist', 'store_chunks (lead-level), empty schema: 42P01 for leads');
SELECT ok(pg_temp.unchanged(), 'store_chunks (lead-level), empty schema: nothing written');
SET LOCAL leadstore.data_schema = 'public';

--
-- 14. finish_deep_scan: run token (55000), outcome (22023), error without its column (42703)
--
SET LOCAL TimeZone = 'UTC';	-- the message shows the token in the session's time zone
UPDATE public.leads SET deep_scan_status = 'running', deep_scan_started_at = '2024-03-01 10:00:00.5+00'
WHERE id = 'err-lead';
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead', '2024-03-01 09:00:00+00')$$,
	'55000', 'deep scan run of lead "err-lead" started at 2024-03-01 09:00:00+00 is not the current run', 'finish_deep_scan, a token that is not the current run: 55000');
SELECT matches(pg_temp.detail_of($$SELECT leadstore.finish_deep_scan('err-lead', '2024-03-01 09:00:00+00')$$),
	'"running", started at 2024-03-01 10:00:00\.5\+00',
	'finish_deep_scan, a token that is not the current run: the DETAIL names the current run''s status and started_at');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, a token that is not the current run: nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead-done', '2024-01-01 10:00+00')$$,
	'55000', 'deep scan run of lead "err-lead-done" started at 2024-01-01 10:00:00+00 is not the current run', 'finish_deep_scan, the token of a run that finished already: 55000');
SELECT matches(pg_temp.detail_of($$SELECT leadstore.finish_deep_scan('err-lead-done', '2024-01-01 10:00+00')$$),
	'completed',
	'finish_deep_scan, the token of a finished run: the DETAIL names its status (completed)');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, the token of a finished run: nothing written');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead', outcome => 'succeeded')$$,
	'22023', 'invalid outcome "succeeded"', 'finish_deep_scan, outcome ''succeeded'': 22023');
SELECT matches(pg_temp.message_of($$SELECT leadstore.finish_deep_scan('err-lead', outcome => 'succeeded')$$),
	'succeeded',
	'finish_deep_scan, outcome ''succeeded'': the message names the value');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, outcome ''succeeded'': nothing written');
RESET TimeZone;
CREATE SCHEMA err_noerror;
SET LOCAL search_path = err_noerror;
\ir ../../sql/leadstore_data_model.sql
RESET search_path;
ALTER TABLE err_noerror.leads DROP COLUMN IF EXISTS deep_scan_error;
INSERT INTO err_noerror.business_units (id, name) VALUES ('err-bu', 'BU');
INSERT INTO err_noerror.rfps (id) VALUES ('err-rfp');
INSERT INTO err_noerror.leads (id, rfp_id, business_unit_id, customer_name,
	deep_scan_status, deep_scan_started_at, updated_at)
VALUES ('err-lead-running', 'err-rfp', 'err-bu', 'C', 'running', '2024-01-01 10:00', '2024-01-01');
CALL pg_temp.take_baseline();
SET LOCAL leadstore.data_schema = 'err_noerror';
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('err-lead-running', error => 'boom')$$,
	'42703', 'column "deep_scan_error" of relation "err_noerror.leads" does not exist', 'finish_deep_scan, an error text without leads.deep_scan_error: 42703');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.finish_deep_scan('err-lead-running', error => 'boom')$$),
	'ADD COLUMN deep_scan_error text',
	'finish_deep_scan, an error text without leads.deep_scan_error: the HINT gives the ALTER TABLE');
SELECT ok(pg_temp.unchanged(), 'finish_deep_scan, an error text without leads.deep_scan_error: nothing written');
SET LOCAL leadstore.data_schema = 'public';

--
-- 15. 42P10: no unique index on the section table's (lead_id, section_id)
--
CREATE SCHEMA err_nounique;
SET LOCAL search_path = err_nounique;
\ir ../../sql/leadstore_data_model.sql
RESET search_path;
ALTER TABLE err_nounique.lead_section_data DROP CONSTRAINT lead_section_data_lead_id_section_id_key;
CREATE INDEX lead_section_data_lead_section_idx ON err_nounique.lead_section_data (lead_id, section_id);
INSERT INTO err_nounique.business_units (id, name) VALUES ('err-bu', 'BU');
INSERT INTO err_nounique.rfps (id) VALUES ('err-rfp');
INSERT INTO err_nounique.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('err-lead', 'err-rfp', 'err-bu', 'C');
CALL pg_temp.take_baseline();
SET LOCAL leadstore.data_schema = 'err_nounique';
SELECT throws_ok($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}')$$,
	'42P10', 'relation "err_nounique.lead_section_data" has no unique index on (lead_id, section_id)', 'store_section_result, no unique index on lead_section_data (lead_id, section_id): 42P10');
SELECT matches(pg_temp.hint_of($$SELECT leadstore.store_section_result('err-lead', 'scope', '{}')$$),
	'CREATE UNIQUE INDEX',
	'store_section_result, no unique index: the HINT gives the CREATE UNIQUE INDEX');
SELECT ok(pg_temp.unchanged(), 'store_section_result, no unique index: nothing written');
SET LOCAL leadstore.data_schema = 'public';

--
-- 16. 22023: leadstore.table_names / leadstore.column_names refused at SET time
--
SELECT throws_ok($$SET LOCAL leadstore.table_names = 'widgets=qualifications'$$,
	'22023', 'invalid value for parameter "leadstore.table_names": "widgets=qualifications"', 'leadstore.table_names with an unknown logical table: 22023');
SELECT throws_ok($$SET LOCAL leadstore.table_names = 'leads qualifications'$$,
	'22023', 'invalid value for parameter "leadstore.table_names": "leads qualifications"', 'leadstore.table_names with a malformed pair: 22023');
SELECT throws_ok($$SET LOCAL leadstore.table_names = 'leads=a, leads=b'$$,
	'22023', 'invalid value for parameter "leadstore.table_names": "leads=a, leads=b"', 'leadstore.table_names mapping a logical table twice: 22023');
SELECT throws_ok($$SET LOCAL leadstore.column_names = 'leads.no_such_column=x'$$,
	'22023', 'invalid value for parameter "leadstore.column_names": "leads.no_such_column=x"', 'leadstore.column_names with an unknown logical column: 22023');
SELECT throws_ok($$SET LOCAL leadstore.column_names = 'leads.rfp_id'$$,
	'22023', 'invalid value for parameter "leadstore.column_names": "leads.rfp_id"', 'leadstore.column_names with a malformed pair: 22023');
SELECT throws_ok($$SET LOCAL leadstore.column_names = 'leads.rfp_id=a, leads.rfp_id=b'$$,
	'22023', 'invalid value for parameter "leadstore.column_names": "leads.rfp_id=a, leads.rfp_id=b"', 'leadstore.column_names mapping a logical column twice: 22023');
SELECT ok(current_setting('leadstore.table_names') = '' AND current_setting('leadstore.column_names') = '',
	'the refused values left both settings empty');
SELECT ok(pg_temp.unchanged(), 'the refused settings wrote nothing');

SELECT * FROM finish();
ROLLBACK;
