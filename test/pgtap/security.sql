--
-- security.sql
--		The functions run as the invoker and trust nothing in the caller's
--		environment:
--		- a hostile search_path (look-alike tables and a text = text operator
--		  in schema "evil", first in the path) redirects no read and no write
--		  and never calls the hostile operator;
--		- a missing privilege raises PostgreSQL's 42501 and writes nothing,
--		  not even the section row; the grants README lists are enough;
--		- a lead hidden by a row-level-security policy is reported like a
--		  missing one (P0002) and nothing is written;
--		- catalog contract: SECURITY INVOKER, VOLATILE, not STRICT, PARALLEL
--		  UNSAFE, and the documented argument names, defaults and result types.
--
-- The hostile search_path comes first so that the backend prepares its
-- statements under it.
--
BEGIN;
SELECT plan(73);

-- Fixture in public (the data schema)
INSERT INTO public.business_units (id, name) VALUES ('sec-bu', 'Security BU');
INSERT INTO public.rfps (id, title) VALUES ('sec-rfp', 'Security RFP');
INSERT INTO public.leads (id, rfp_id, business_unit_id, customer_name,
	created_at, updated_at)
VALUES
	('sec-lead', 'sec-rfp', 'sec-bu', 'Security Customer', '2024-01-01', '2024-01-01'),
	('sec-lead-2', 'sec-rfp', 'sec-bu', 'Security Customer 2', '2024-01-01', '2024-01-01'),
	('sec-hidden', 'sec-rfp', 'sec-bu', 'Hidden Customer', '2024-01-01', '2024-01-01');
INSERT INTO public.technologies (id, name, business_unit_id, category, is_default)
VALUES
	('sec-cms', 'Public CMS', 'sec-bu', 'CMS', false),
	('sec-cms-2', 'Public CMS 2', 'sec-bu', 'CMS', false),
	('sec-cms-default', 'Public default CMS', 'sec-bu', 'CMS', true),
	('sec-fw', 'Public framework', 'sec-bu', 'Framework', false);

-- The attacker's schema: look-alike tables with decoy rows, and a text = text
-- operator that is always true and records every call.
CREATE SCHEMA evil;
CREATE TABLE evil.operator_calls (leftarg text, rightarg text);
CREATE FUNCTION evil.texteq_evil(text, text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	INSERT INTO evil.operator_calls VALUES ($1, $2);
	RETURN true;
END
$$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text,
	FUNCTION = evil.texteq_evil);
CREATE TABLE evil.business_units (LIKE public.business_units INCLUDING ALL);
CREATE TABLE evil.rfps (LIKE public.rfps INCLUDING ALL);
CREATE TABLE evil.leads (LIKE public.leads INCLUDING ALL);
CREATE TABLE evil.technologies (LIKE public.technologies INCLUDING ALL);
CREATE TABLE evil.lead_section_data (LIKE public.lead_section_data INCLUDING ALL);
CREATE TABLE evil.rfp_embeddings (LIKE public.rfp_embeddings INCLUDING ALL);
INSERT INTO evil.business_units (id, name) VALUES ('sec-bu', 'Evil BU');
INSERT INTO evil.rfps (id, title) VALUES ('evil-rfp', 'Evil RFP');
INSERT INTO evil.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('sec-lead', 'evil-rfp', 'sec-bu', 'Evil twin'),
	   ('sec-lead-2', 'evil-rfp', 'sec-bu', 'Evil twin 2'),
	   ('evil-only-lead', 'evil-rfp', 'sec-bu', 'Evil only');
INSERT INTO evil.technologies (id, name, business_unit_id, category, is_default)
VALUES ('sec-fw', 'Framework posing as CMS', 'sec-bu', 'CMS', false),
	   ('aaa-evil-default', 'Evil default CMS', 'sec-bu', 'CMS', true),
	   ('evil-cms', 'Evil CMS', 'sec-bu', 'CMS', false);

CREATE TEMP VIEW evil_now AS
	SELECT 'business_units' AS tbl, ctid::text AS row_ctid, xmin::text AS row_xmin, t::text AS row_text FROM evil.business_units t
	UNION ALL SELECT 'rfps', ctid::text, xmin::text, t::text FROM evil.rfps t
	UNION ALL SELECT 'leads', ctid::text, xmin::text, t::text FROM evil.leads t
	UNION ALL SELECT 'technologies', ctid::text, xmin::text, t::text FROM evil.technologies t
	UNION ALL SELECT 'lead_section_data', ctid::text, xmin::text, t::text FROM evil.lead_section_data t
	UNION ALL SELECT 'rfp_embeddings', ctid::text, xmin::text, t::text FROM evil.rfp_embeddings t;
CREATE TEMP TABLE evil_before AS SELECT * FROM evil_now;

-- 'SQLSTATE: message' of the error a statement raises, or 'no error'.  No
-- "=" in here: it runs under the hostile search_path.
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN others THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

--
-- 1. search_path = evil, pg_catalog: the hostile "=" shadows pg_catalog's
--
SET LOCAL search_path = evil, pg_catalog;
CREATE TEMP TABLE attack1_store AS
	SELECT * FROM leadstore.store_section_result('sec-lead', 'attack-1',
		'{"pass": 1}'::jsonb, 70, '["doc"]'::jsonb, '{attack chunk 0,attack chunk 1}'::text[],
		'{{1,2},{3,4}}'::real[]);
CREATE TEMP TABLE attack1_missing AS
	SELECT pg_temp.error_of($$SELECT leadstore.store_section_result('evil-only-lead',
		'attack-1', '{}'::jsonb)$$) AS error;
CREATE TEMP TABLE attack1_cms AS
	SELECT * FROM leadstore.select_cms('sec-lead', 'sec-cms');
CREATE TEMP TABLE attack1_not_cms AS
	SELECT pg_temp.error_of($$SELECT leadstore.select_cms('sec-lead', 'sec-fw')$$) AS error;
CREATE TEMP TABLE attack1_cms_if AS
	SELECT * FROM leadstore.select_cms_if('sec-lead', 'evil-cms', 'sec-cms-2');
CREATE TEMP TABLE attack1_clear AS
	SELECT * FROM leadstore.clear_cms_selection('sec-lead');
CREATE TEMP TABLE attack1_default AS
	SELECT * FROM leadstore.select_default_cms('sec-lead');
CREATE TEMP TABLE attack1_begin AS
	SELECT * FROM leadstore.begin_deep_scan('sec-lead');
CREATE TEMP TABLE attack1_finish AS
	SELECT * FROM leadstore.finish_deep_scan('sec-lead');
CREATE TEMP TABLE attack1_chunks AS
	SELECT * FROM leadstore.store_chunks(NULL, 'attack-agent', '{agent chunk}'::text[],
		'{1,1}'::real[], lead_id => 'sec-lead');
CREATE TEMP TABLE attack1_chunks_missing AS
	SELECT pg_temp.error_of($$SELECT leadstore.store_chunks(NULL, 'attack-agent',
		'{x}'::text[], '{1}'::real[], lead_id => 'evil-only-lead')$$) AS error;
CREATE TEMP TABLE attack1_model AS
	SELECT logical_name, actual_name, status FROM leadstore.check_data_model();
RESET search_path;

SELECT results_eq(
	$$SELECT rfp_id, created, chunks_written, chunks_replaced FROM attack1_store$$,
	$$VALUES ('sec-rfp', true, 2, 0)$$,
	'evil, pg_catalog: store_section_result takes rfp_id from public.leads, not evil.leads');
SELECT results_eq(
	$$SELECT s.id, s.content, s.confidence FROM public.lead_section_data s
	  WHERE s.lead_id = 'sec-lead' AND s.section_id = 'attack-1'$$,
	$$SELECT section_row_id, '{"pass": 1}'::jsonb, 70 FROM attack1_store$$,
	'evil, pg_catalog: the section row is written to public.lead_section_data');
SELECT results_eq(
	$$SELECT rfp_id, chunk_index, content FROM public.rfp_embeddings
	  WHERE lead_id = 'sec-lead' AND section_id = 'attack-1' ORDER BY chunk_index$$,
	$$VALUES ('sec-rfp', 0, 'attack chunk 0'), ('sec-rfp', 1, 'attack chunk 1')$$,
	'evil, pg_catalog: the chunks are written to public.rfp_embeddings');
SELECT is((SELECT error FROM attack1_missing),
	'P0002: lead "evil-only-lead" does not exist',
	'evil, pg_catalog: a lead that exists only in evil.leads is missing (P0002)');
SELECT results_eq('SELECT * FROM attack1_cms',
	$$VALUES ('sec-lead', NULL::text, 'sec-cms', true)$$,
	'evil, pg_catalog: select_cms reads the lead from public.leads');
SELECT is((SELECT error FROM attack1_not_cms),
	'22023: technology "sec-fw" is not a CMS',
	'evil, pg_catalog: select_cms checks public.technologies (evil.technologies calls sec-fw a CMS)');
SELECT results_eq('SELECT * FROM attack1_cms_if',
	$$VALUES ('sec-lead', 'sec-cms', 'sec-cms', false)$$,
	'evil, pg_catalog: select_cms_if with a stale expected value writes nothing');
SELECT results_eq('SELECT * FROM attack1_clear',
	$$VALUES ('sec-lead', 'sec-cms', NULL::text, true)$$,
	'evil, pg_catalog: clear_cms_selection clears the public lead');
SELECT results_eq('SELECT * FROM attack1_default',
	$$VALUES ('sec-lead', NULL::text, 'sec-cms-default', true)$$,
	'evil, pg_catalog: select_default_cms picks public''s default, not evil''s smaller id');
SELECT results_eq(
	$$SELECT status, started_at, completed_at, sections_stored, transitioned FROM attack1_begin$$,
	$$VALUES ('running', now(), NULL::timestamptz, 1, true)$$,
	'evil, pg_catalog: begin_deep_scan starts the public lead''s run');
SELECT results_eq(
	$$SELECT status, completed_at, sections_stored, transitioned FROM attack1_finish$$,
	$$VALUES ('completed', now(), 1, true)$$,
	'evil, pg_catalog: finish_deep_scan counts public.lead_section_data');
SELECT results_eq(
	$$SELECT rfp_id, selected_cms_id, deep_scan_status, deep_scan_started_at,
	         deep_scan_completed_at, updated_at
	  FROM public.leads WHERE id = 'sec-lead'$$,
	$$VALUES ('sec-rfp', 'sec-cms-default', 'completed', now(), now(), now())$$,
	'evil, pg_catalog: every write landed in public.leads');
SELECT results_eq('SELECT * FROM attack1_chunks',
	$$VALUES ('sec-rfp', 'sec-lead', 1, 0)$$,
	'evil, pg_catalog: store_chunks takes rfp_id from public.leads');
SELECT results_eq(
	$$SELECT rfp_id, lead_id, section_id, chunk_index, content, embedding
	  FROM public.rfp_embeddings WHERE agent_name = 'attack-agent'$$,
	$$VALUES ('sec-rfp', 'sec-lead', NULL::text, 0, 'agent chunk', '{1,1}'::real[])$$,
	'evil, pg_catalog: store_chunks writes public.rfp_embeddings');
SELECT is((SELECT error FROM attack1_chunks_missing),
	'P0002: lead "evil-only-lead" does not exist',
	'evil, pg_catalog: store_chunks does not see evil.leads');
SELECT results_eq(
	$$SELECT count(*)::int, count(*) FILTER (WHERE status <> 'ok')::int,
	         count(*) FILTER (WHERE actual_name LIKE 'evil.%')::int
	  FROM attack1_model$$,
	$$SELECT count(*)::int, 0, 0 FROM leadstore.check_data_model()$$,
	'evil, pg_catalog: check_data_model reports on public (all ok), the same rows as under a clean search_path');

--
-- 2. search_path = evil, public: the look-alike tables come before public's
--
SET LOCAL search_path = evil, public;
CREATE TEMP TABLE attack2_store AS
	SELECT * FROM leadstore.store_section_result('sec-lead-2', 'attack-2',
		'{"pass": 2}'::jsonb, 20, NULL, '{second pass chunk}'::text[], '{5,6}'::real[]);
CREATE TEMP TABLE attack2_missing AS
	SELECT pg_temp.error_of($$SELECT leadstore.select_cms('evil-only-lead', 'sec-cms')$$) AS error;
CREATE TEMP TABLE attack2_cms AS
	SELECT * FROM leadstore.select_cms('sec-lead-2', 'sec-cms-2');
CREATE TEMP TABLE attack2_not_cms AS
	SELECT pg_temp.error_of($$SELECT leadstore.select_cms('sec-lead-2', 'sec-fw')$$) AS error;
CREATE TEMP TABLE attack2_begin AS
	SELECT * FROM leadstore.begin_deep_scan('sec-lead-2');
RESET search_path;

SELECT results_eq(
	$$SELECT a.rfp_id, a.created, a.chunks_written, e.rfp_id, e.content, e.embedding
	  FROM attack2_store a
	  JOIN public.lead_section_data s ON s.id = a.section_row_id
	  JOIN public.rfp_embeddings e ON e.lead_id = s.lead_id AND e.section_id = s.section_id$$,
	$$VALUES ('sec-rfp', true, 1, 'sec-rfp', 'second pass chunk', '{5,6}'::real[])$$,
	'evil, public: store_section_result reads and writes only public tables');
SELECT is((SELECT error FROM attack2_missing),
	'P0002: lead "evil-only-lead" does not exist',
	'evil, public: select_cms does not see evil.leads');
SELECT results_eq('SELECT * FROM attack2_cms',
	$$VALUES ('sec-lead-2', NULL::text, 'sec-cms-2', true)$$,
	'evil, public: select_cms selects in public.leads');
SELECT is((SELECT error FROM attack2_not_cms),
	'22023: technology "sec-fw" is not a CMS',
	'evil, public: select_cms does not see evil.technologies');
SELECT results_eq(
	$$SELECT b.status, b.transitioned, l.deep_scan_status, l.deep_scan_started_at, l.selected_cms_id
	  FROM attack2_begin b JOIN public.leads l ON l.id = b.lead_id$$,
	$$VALUES ('running', true, 'running', now(), 'sec-cms-2')$$,
	'evil, public: begin_deep_scan writes public.leads');

--
-- 3. The attacker's objects were never touched
--
SELECT is_empty('SELECT * FROM evil.lead_section_data',
	'evil.lead_section_data stays empty');
SELECT is_empty('SELECT * FROM evil.rfp_embeddings',
	'evil.rfp_embeddings stays empty');
SELECT set_eq('SELECT * FROM evil_now', 'SELECT * FROM evil_before',
	'every evil table holds exactly its decoy rows, row versions included');
SELECT is_empty('SELECT * FROM evil.operator_calls',
	'the hostile text = text operator was never called');

-- ... and the trap was armed: an unqualified query under the same path
-- does go through evil.leads and evil.=
SET LOCAL search_path = evil, pg_catalog;
SELECT count(*) AS trap_rows FROM leads WHERE id = 'no such lead'
\gset
RESET search_path;
SELECT ok(:trap_rows = 3 AND (SELECT count(*) FROM evil.operator_calls) = 3,
	'control: an unqualified query under search_path evil, pg_catalog does read evil.leads through evil.=');

--
-- 4. A role without INSERT on rfp_embeddings
--
CREATE ROLE leadstore_tap_security_noinsert NOLOGIN;
GRANT USAGE ON SCHEMA leadstore, public TO leadstore_tap_security_noinsert;
GRANT SELECT ON public.leads TO leadstore_tap_security_noinsert;
GRANT SELECT, INSERT, UPDATE ON public.lead_section_data TO leadstore_tap_security_noinsert;
GRANT SELECT, DELETE ON public.rfp_embeddings TO leadstore_tap_security_noinsert;

CREATE TEMP VIEW data_now AS
	SELECT 'leads' AS tbl, ctid::text AS row_ctid, xmin::text AS row_xmin, t::text AS row_text FROM public.leads t
	UNION ALL SELECT 'lead_section_data', ctid::text, xmin::text, t::text FROM public.lead_section_data t
	UNION ALL SELECT 'rfp_embeddings', ctid::text, xmin::text, t::text FROM public.rfp_embeddings t;
CREATE TEMP TABLE data_before AS SELECT * FROM data_now;

SET LOCAL ROLE leadstore_tap_security_noinsert;
SELECT throws_ok(
	$$SELECT leadstore.store_section_result('sec-lead', 'no-insert', '{"n": 1}', 50,
	      NULL, '{chunk}', '{1,2}')$$,
	'42501', 'permission denied for table rfp_embeddings',
	'without INSERT on rfp_embeddings a new section with chunks fails with 42501');
SELECT throws_ok(
	$$SELECT leadstore.store_section_result('sec-lead', 'attack-1', '{"n": 2}', 51,
	      NULL, '{chunk}', '{1,2}')$$,
	'42501', 'permission denied for table rfp_embeddings',
	'without INSERT on rfp_embeddings a re-run with chunks fails with 42501 (after its delete)');
SELECT throws_ok(
	$$SELECT leadstore.store_chunks(NULL, 'attack-agent', '{chunk}', '{1,2}', lead_id => 'sec-lead')$$,
	'42501', 'permission denied for table rfp_embeddings',
	'without INSERT on rfp_embeddings store_chunks fails with 42501 (after its delete)');
RESET ROLE;
SELECT is_empty(
	$$SELECT 1 FROM public.lead_section_data WHERE lead_id = 'sec-lead' AND section_id = 'no-insert'$$,
	'42501: no lead_section_data row was written for the new section');
SELECT set_eq('SELECT * FROM data_now', 'SELECT * FROM data_before',
	'42501: leads, lead_section_data and rfp_embeddings are exactly as before (old chunks of the re-run and of the agent kept)');

-- control: exactly the README's grants are enough (only SELECT on leads:
-- store_section_result takes no explicit row lock on the lead)
GRANT INSERT ON public.rfp_embeddings TO leadstore_tap_security_noinsert;
SET LOCAL ROLE leadstore_tap_security_noinsert;
SELECT results_eq(
	$$SELECT created, chunks_written, chunks_replaced
	  FROM leadstore.store_section_result('sec-lead', 'attack-1', '{"n": 3}', 52,
	       NULL, '{granted chunk}', '{7,8}')$$,
	$$VALUES (false, 1, 2)$$,
	'control: with INSERT granted too, the same role re-runs the section (SELECT on leads suffices)');
SELECT results_eq(
	$$SELECT rfp_id, chunks_written, chunks_replaced
	  FROM leadstore.store_chunks(NULL, 'attack-agent', '{granted agent chunk}', '{7,8}', lead_id => 'sec-lead')$$,
	$$VALUES ('sec-rfp', 1, 1)$$,
	'control: with INSERT granted, the same role replaces the agent''s chunk with store_chunks');
RESET ROLE;

-- check_data_model reads the catalogs only: a role without any privilege
-- on the tables gets the same report
CREATE ROLE leadstore_tap_security_nothing NOLOGIN;
GRANT USAGE ON SCHEMA leadstore TO leadstore_tap_security_nothing;
CREATE TEMP TABLE model_as_owner AS SELECT * FROM leadstore.check_data_model();
GRANT SELECT ON model_as_owner TO leadstore_tap_security_nothing;
SET LOCAL ROLE leadstore_tap_security_nothing;
SELECT set_eq('SELECT * FROM leadstore.check_data_model()', 'SELECT * FROM model_as_owner',
	'check_data_model needs no privilege on the tables (nor USAGE on their schema): the same rows as for the owner');
RESET ROLE;

--
-- 5. A row-level-security policy hides a lead from a role
--
CREATE ROLE leadstore_tap_security_rls NOLOGIN;
GRANT USAGE ON SCHEMA leadstore, public TO leadstore_tap_security_rls;
GRANT SELECT, UPDATE ON public.leads, public.technologies TO leadstore_tap_security_rls;
GRANT SELECT, INSERT, UPDATE ON public.lead_section_data TO leadstore_tap_security_rls;
GRANT SELECT, INSERT, DELETE ON public.rfp_embeddings TO leadstore_tap_security_rls;
ALTER TABLE public.leads ENABLE ROW LEVEL SECURITY;
CREATE POLICY sec_hide_lead ON public.leads USING (id <> 'sec-hidden');
DELETE FROM data_before;
INSERT INTO data_before SELECT * FROM data_now;

SET LOCAL ROLE leadstore_tap_security_rls;
SELECT throws_ok(
	$$SELECT leadstore.store_section_result('sec-hidden', 'rls', '{"h": 1}', 50,
	      NULL, '{chunk}', '{1,2}')$$,
	'P0002', 'lead "sec-hidden" does not exist',
	'RLS: store_section_result reports a hidden lead as missing (P0002)');
SELECT throws_ok($$SELECT leadstore.select_cms('sec-hidden', 'sec-cms')$$,
	'P0002', 'lead "sec-hidden" does not exist',
	'RLS: select_cms reports a hidden lead as missing (P0002)');
SELECT throws_ok($$SELECT leadstore.select_cms_if('sec-hidden', NULL, 'sec-cms')$$,
	'P0002', 'lead "sec-hidden" does not exist',
	'RLS: select_cms_if reports a hidden lead as missing (P0002)');
SELECT throws_ok($$SELECT leadstore.clear_cms_selection('sec-hidden')$$,
	'P0002', 'lead "sec-hidden" does not exist',
	'RLS: clear_cms_selection reports a hidden lead as missing (P0002)');
SELECT throws_ok($$SELECT leadstore.select_default_cms('sec-hidden')$$,
	'P0002', 'lead "sec-hidden" does not exist',
	'RLS: select_default_cms reports a hidden lead as missing (P0002)');
SELECT throws_ok($$SELECT leadstore.begin_deep_scan('sec-hidden')$$,
	'P0002', 'lead "sec-hidden" does not exist',
	'RLS: begin_deep_scan reports a hidden lead as missing (P0002)');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('sec-hidden')$$,
	'P0002', 'lead "sec-hidden" does not exist',
	'RLS: finish_deep_scan reports a hidden lead as missing (P0002)');
SELECT throws_ok($$SELECT leadstore.store_chunks(NULL, 'rls-agent', '{chunk}', '{1,2}', lead_id => 'sec-hidden')$$,
	'P0002', 'lead "sec-hidden" does not exist',
	'RLS: store_chunks reports a hidden lead as missing (P0002)');
-- control: the role may select a CMS for a lead the policy shows
SELECT results_eq($$SELECT * FROM leadstore.select_cms('sec-lead-2', 'sec-cms')$$,
	$$VALUES ('sec-lead-2', 'sec-cms-2', 'sec-cms', true)$$,
	'control: the same role selects a CMS for a visible lead');
RESET ROLE;
SELECT set_eq(
	$$SELECT * FROM data_now WHERE row_text NOT LIKE '(sec-lead-2,%'$$,
	$$SELECT * FROM data_before WHERE row_text NOT LIKE '(sec-lead-2,%'$$,
	'RLS: nothing was written (the hidden lead row, its sections and chunks are exactly as before)');
SELECT results_eq(
	$$SELECT selected_cms_id, deep_scan_status, updated_at FROM public.leads WHERE id = 'sec-hidden'$$,
	$$VALUES (NULL::text, 'pending', '2024-01-01'::timestamptz)$$,
	'RLS: the hidden lead row is unchanged');

--
-- 6. Catalog contract of the 9 functions
--
SELECT isnt_definer('leadstore', 'store_section_result',
	ARRAY['text', 'text', 'jsonb', 'numeric', 'jsonb', 'text[]', 'real[]', 'text', 'text', 'bytea'],
	'store_section_result is SECURITY INVOKER');
SELECT isnt_definer('leadstore', 'store_chunks',
	ARRAY['text', 'text', 'text[]', 'real[]', 'text', 'text', 'jsonb', 'bytea'],
	'store_chunks is SECURITY INVOKER');
SELECT isnt_definer('leadstore', 'select_cms',
	ARRAY['text', 'text', 'boolean'],
	'select_cms is SECURITY INVOKER');
SELECT isnt_definer('leadstore', 'select_cms_if',
	ARRAY['text', 'text', 'text', 'boolean'],
	'select_cms_if is SECURITY INVOKER');
SELECT isnt_definer('leadstore', 'clear_cms_selection',
	ARRAY['text', 'boolean'],
	'clear_cms_selection is SECURITY INVOKER');
SELECT isnt_definer('leadstore', 'select_default_cms',
	ARRAY['text', 'boolean'],
	'select_default_cms is SECURITY INVOKER');
SELECT isnt_definer('leadstore', 'begin_deep_scan',
	ARRAY['text', 'interval'],
	'begin_deep_scan is SECURITY INVOKER');
SELECT isnt_definer('leadstore', 'finish_deep_scan',
	ARRAY['text', 'timestamp with time zone', 'text', 'text'],
	'finish_deep_scan is SECURITY INVOKER');
SELECT isnt_definer('leadstore', 'check_data_model',
	ARRAY[]::text[],
	'check_data_model is SECURITY INVOKER');

SELECT volatility_is('leadstore', 'store_section_result',
	ARRAY['text', 'text', 'jsonb', 'numeric', 'jsonb', 'text[]', 'real[]', 'text', 'text', 'bytea'],
	'volatile', 'store_section_result is VOLATILE');
SELECT volatility_is('leadstore', 'store_chunks',
	ARRAY['text', 'text', 'text[]', 'real[]', 'text', 'text', 'jsonb', 'bytea'],
	'volatile', 'store_chunks is VOLATILE');
SELECT volatility_is('leadstore', 'select_cms',
	ARRAY['text', 'text', 'boolean'],
	'volatile', 'select_cms is VOLATILE');
SELECT volatility_is('leadstore', 'select_cms_if',
	ARRAY['text', 'text', 'text', 'boolean'],
	'volatile', 'select_cms_if is VOLATILE');
SELECT volatility_is('leadstore', 'clear_cms_selection',
	ARRAY['text', 'boolean'],
	'volatile', 'clear_cms_selection is VOLATILE');
SELECT volatility_is('leadstore', 'select_default_cms',
	ARRAY['text', 'boolean'],
	'volatile', 'select_default_cms is VOLATILE');
SELECT volatility_is('leadstore', 'begin_deep_scan',
	ARRAY['text', 'interval'],
	'volatile', 'begin_deep_scan is VOLATILE');
SELECT volatility_is('leadstore', 'finish_deep_scan',
	ARRAY['text', 'timestamp with time zone', 'text', 'text'],
	'volatile', 'finish_deep_scan is VOLATILE');
SELECT volatility_is('leadstore', 'check_data_model',
	ARRAY[]::text[],
	'volatile', 'check_data_model is VOLATILE');

SELECT isnt_strict('leadstore', 'store_section_result',
	ARRAY['text', 'text', 'jsonb', 'numeric', 'jsonb', 'text[]', 'real[]', 'text', 'text', 'bytea'],
	'store_section_result is not STRICT (NULL arguments raise 22004)');
SELECT isnt_strict('leadstore', 'store_chunks',
	ARRAY['text', 'text', 'text[]', 'real[]', 'text', 'text', 'jsonb', 'bytea'],
	'store_chunks is not STRICT (NULL arguments raise 22004)');
SELECT isnt_strict('leadstore', 'select_cms',
	ARRAY['text', 'text', 'boolean'],
	'select_cms is not STRICT');
SELECT isnt_strict('leadstore', 'select_cms_if',
	ARRAY['text', 'text', 'text', 'boolean'],
	'select_cms_if is not STRICT');
SELECT isnt_strict('leadstore', 'clear_cms_selection',
	ARRAY['text', 'boolean'],
	'clear_cms_selection is not STRICT');
SELECT isnt_strict('leadstore', 'select_default_cms',
	ARRAY['text', 'boolean'],
	'select_default_cms is not STRICT');
SELECT isnt_strict('leadstore', 'begin_deep_scan',
	ARRAY['text', 'interval'],
	'begin_deep_scan is not STRICT');
SELECT isnt_strict('leadstore', 'finish_deep_scan',
	ARRAY['text', 'timestamp with time zone', 'text', 'text'],
	'finish_deep_scan is not STRICT');
SELECT isnt_strict('leadstore', 'check_data_model',
	ARRAY[]::text[],
	'check_data_model is not STRICT');

SELECT results_eq(
	$$SELECT p.proname::text COLLATE "default", pg_catalog.pg_get_function_arguments(p.oid),
	         pg_catalog.pg_get_function_result(p.oid), p.proparallel::text
	  FROM pg_catalog.pg_proc p
	  WHERE p.pronamespace = 'leadstore'::regnamespace
	  ORDER BY p.proname$$,
	$$VALUES
	  ('begin_deep_scan',
	   'lead_id text, stale_after interval DEFAULT ''00:30:00''::interval',
	   'leadstore.deep_scan_run', 'u'),
	  ('check_data_model',
	   'OUT logical_name text, OUT actual_name text, OUT status text, OUT detail text, OUT fix text',
	   'SETOF record', 'u'),
	  ('clear_cms_selection',
	   'lead_id text, nowait boolean DEFAULT false',
	   'leadstore.cms_selection', 'u'),
	  ('finish_deep_scan',
	   'lead_id text, started_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
	   'outcome text DEFAULT NULL::text, error text DEFAULT NULL::text',
	   'leadstore.deep_scan_run', 'u'),
	  ('select_cms',
	   'lead_id text, cms_id text, nowait boolean DEFAULT false',
	   'leadstore.cms_selection', 'u'),
	  ('select_cms_if',
	   'lead_id text, expected_cms_id text, cms_id text, nowait boolean DEFAULT false',
	   'leadstore.cms_selection', 'u'),
	  ('select_default_cms',
	   'lead_id text, nowait boolean DEFAULT false',
	   'leadstore.cms_selection', 'u'),
	  ('store_chunks',
	   'rfp_id text, agent_name text, chunks text[], embeddings real[] DEFAULT NULL::real[], '
	   'lead_id text DEFAULT NULL::text, chunk_type text DEFAULT ''analysis''::text, '
	   'metadata jsonb DEFAULT NULL::jsonb, embeddings_packed bytea DEFAULT NULL::bytea',
	   'leadstore.chunk_write', 'u'),
	  ('store_section_result',
	   'lead_id text, section_id text, content jsonb, confidence numeric DEFAULT NULL::numeric, '
	   'sources jsonb DEFAULT NULL::jsonb, chunks text[] DEFAULT NULL::text[], '
	   'embeddings real[] DEFAULT NULL::real[], chunk_type text DEFAULT ''analysis''::text, '
	   'agent_name text DEFAULT NULL::text, embeddings_packed bytea DEFAULT NULL::bytea',
	   'leadstore.section_write', 'u')$$,
	'the functions of schema leadstore: exactly the 9 of 0.2.0, with their argument names, defaults and result types, PARALLEL UNSAFE, and no overload left from 0.1.0');

SELECT * FROM finish();
ROLLBACK;
