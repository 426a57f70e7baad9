--
-- deep_scan.sql
--		Deep-scan runs over state: begin_deep_scan moves a lead to
--		running (started_at = now(), completed_at = NULL) unless a run younger
--		than stale_after is running, in which case it writes nothing;
--		finish_deep_scan sets completed when a section was stored since
--		started_at and failed otherwise, stamps completed_at and reports
--		sections_stored.
--
BEGIN;
SELECT plan(37);

CREATE EXTENSION pgrowlocks;	-- rolled back with the rest

INSERT INTO public.business_units (id, name) VALUES ('ds-bu', 'Deep-scan BU');
INSERT INTO public.rfps (id, title) VALUES ('ds-rfp', 'Deep-scan RFP');
INSERT INTO public.leads (id, rfp_id, business_unit_id, customer_name,
	deep_scan_status, deep_scan_started_at, deep_scan_completed_at,
	created_at, updated_at)
VALUES
	('ds-lead-1', 'ds-rfp', 'ds-bu', 'Customer 1', 'pending', NULL, NULL, '2024-01-01', '2024-01-01'),
	('ds-lead-2', 'ds-rfp', 'ds-bu', 'Customer 2', 'pending', NULL, NULL, '2024-01-01', '2024-01-01'),
	('ds-lead-3', 'ds-rfp', 'ds-bu', 'Customer 3', 'running',
	 now() - interval '1 hour', NULL, '2024-01-01', '2024-01-01'),
	('ds-lead-4', 'ds-rfp', 'ds-bu', 'Customer 4', 'running',
	 now() - interval '5 minutes', NULL, '2024-01-01', '2024-01-01'),
	('ds-lead-5', 'ds-rfp', 'ds-bu', 'Customer 5', 'pending', NULL, NULL, '2024-01-01', '2024-01-01');

CREATE TEMP VIEW lead_versions AS
	SELECT l.id, l.ctid::text AS row_ctid, l.xmin::text AS row_xmin, l::text AS row_text
	FROM public.leads l;
CREATE TEMP TABLE versions_before AS SELECT * FROM lead_versions;
-- age(): put a lead's updated_at back in the past, then remember every lead
CREATE PROCEDURE pg_temp.age(lead text) LANGUAGE sql AS $$
	UPDATE public.leads SET updated_at = '2024-01-01' WHERE id = lead;
	DELETE FROM versions_before;
	INSERT INTO versions_before SELECT * FROM lead_versions;
$$;
CREATE TEMP VIEW deep_scan_state AS
	SELECT id, deep_scan_status, deep_scan_started_at, deep_scan_completed_at, updated_at
	FROM public.leads;

--
-- 1. pending -> running -> (fresh: no change) -> failed -> running -> completed
--
SELECT results_eq($$SELECT * FROM leadstore.begin_deep_scan('ds-lead-1')$$,
	$$VALUES ('ds-lead-1', 'running', now(), NULL::timestamptz, 0, true)$$,
	'begin_deep_scan on a pending lead starts a run');
SELECT results_eq($$SELECT * FROM deep_scan_state WHERE id = 'ds-lead-1'$$,
	$$VALUES ('ds-lead-1', 'running', now(), NULL::timestamptz, now())$$,
	'begin_deep_scan writes status running, started_at = now(), completed_at NULL, updated_at = now()');

CALL pg_temp.age('ds-lead-1');
SELECT results_eq($$SELECT * FROM leadstore.begin_deep_scan('ds-lead-1')$$,
	$$VALUES ('ds-lead-1', 'running', now(), NULL::timestamptz, 0, false)$$,
	'begin_deep_scan while a fresh run is running returns transitioned = false');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'begin_deep_scan without transition writes nothing: same ctid, xmin and updated_at');
-- (the row version written by this transaction also carries its KEY SHARE
-- mark, so pgrowlocks may list that mode besides)
SELECT results_eq(
	$$SELECT 'For No Key Update' = ANY (r.modes),
	         r.modes && '{"For Update",Update,"No Key Update"}'::text[]
	  FROM pgrowlocks('public.leads') r
	  JOIN public.leads l ON l.ctid = r.locked_row WHERE l.id = 'ds-lead-1'$$,
	$$VALUES (true, false)$$,
	'begin_deep_scan locks the lead FOR NO KEY UPDATE (not FOR UPDATE)');

SELECT results_eq($$SELECT * FROM leadstore.finish_deep_scan('ds-lead-1')$$,
	$$VALUES ('ds-lead-1', 'failed', now(), now(), 0, true)$$,
	'finish_deep_scan with no section stored since started_at: failed');
SELECT results_eq($$SELECT * FROM deep_scan_state WHERE id = 'ds-lead-1'$$,
	$$VALUES ('ds-lead-1', 'failed', now(), now(), now())$$,
	'finish_deep_scan writes failed, keeps started_at, stamps completed_at and updated_at');

CALL pg_temp.age('ds-lead-1');
SELECT throws_ok($$SELECT leadstore.finish_deep_scan('ds-lead-1')$$,
	'55000', 'lead "ds-lead-1" has no deep scan running',
	'finish_deep_scan on a failed run raises 55000');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'the second finish wrote nothing');

SELECT results_eq($$SELECT * FROM leadstore.begin_deep_scan('ds-lead-1')$$,
	$$VALUES ('ds-lead-1', 'running', now(), NULL::timestamptz, 0, true)$$,
	'begin_deep_scan on a failed lead starts a new run');
SELECT results_eq($$SELECT * FROM deep_scan_state WHERE id = 'ds-lead-1'$$,
	$$VALUES ('ds-lead-1', 'running', now(), NULL::timestamptz, now())$$,
	'the new run has completed_at NULL again');

SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('ds-lead-1', 'overview', '{"o": 1}')$$,
	$$VALUES (true)$$, 'setup: a section stored during the run');
SELECT results_eq($$SELECT * FROM leadstore.begin_deep_scan('ds-lead-1')$$,
	$$VALUES ('ds-lead-1', 'running', now(), NULL::timestamptz, 1, false)$$,
	'begin_deep_scan on the running lead reports the section stored so far');
SELECT results_eq($$SELECT * FROM leadstore.finish_deep_scan('ds-lead-1')$$,
	$$VALUES ('ds-lead-1', 'completed', now(), now(), 1, true)$$,
	'finish_deep_scan with a section stored since started_at: completed, sections_stored 1');
SELECT results_eq($$SELECT * FROM deep_scan_state WHERE id = 'ds-lead-1'$$,
	$$VALUES ('ds-lead-1', 'completed', now(), now(), now())$$,
	'finish_deep_scan writes completed and completed_at');

CALL pg_temp.age('ds-lead-1');
SELECT results_eq($$SELECT status, completed_at, transitioned FROM leadstore.begin_deep_scan('ds-lead-1')$$,
	$$VALUES ('running', NULL::timestamptz, true)$$,
	'begin_deep_scan on a completed lead starts a new run');
SELECT results_eq($$SELECT * FROM deep_scan_state WHERE id = 'ds-lead-1'$$,
	$$VALUES ('ds-lead-1', 'running', now(), NULL::timestamptz, now())$$,
	'the restarted run is written with completed_at NULL');

--
-- 2. Only sections stored (created or updated) since started_at count
--
SELECT results_eq(
	$$SELECT count(*)::int FROM (
	    SELECT leadstore.store_section_result('ds-lead-2', s, '{}')
	    FROM unnest('{old,recent,restored}'::text[]) s) x$$,
	$$VALUES (3)$$, 'setup: three sections of ds-lead-2 stored');
UPDATE public.lead_section_data
SET created_at = now() - interval '2 hours', updated_at = now() - interval '2 hours'
WHERE lead_id = 'ds-lead-2' AND section_id IN ('old', 'restored');
UPDATE public.lead_section_data
SET created_at = now() - interval '10 minutes', updated_at = now() - interval '10 minutes'
WHERE lead_id = 'ds-lead-2' AND section_id = 'recent';
UPDATE public.leads
SET deep_scan_status = 'running', deep_scan_started_at = now() - interval '20 minutes'
WHERE id = 'ds-lead-2';
CALL pg_temp.age('ds-lead-2');

SELECT results_eq($$SELECT * FROM leadstore.begin_deep_scan('ds-lead-2')$$,
	$$VALUES ('ds-lead-2', 'running', now() - interval '20 minutes', NULL::timestamptz, 1, false)$$,
	'begin_deep_scan on a run started 20 minutes ago (stale after 30): no transition, 1 section since started_at');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'that begin_deep_scan wrote nothing');
SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('ds-lead-2', 'restored', '{"again": true}')$$,
	$$VALUES (false)$$, 'setup: the section stored 2 hours ago is stored again');
SELECT results_eq($$SELECT * FROM leadstore.finish_deep_scan('ds-lead-2')$$,
	$$VALUES ('ds-lead-2', 'completed', now() - interval '20 minutes', now(), 2, true)$$,
	'finish_deep_scan counts the section stored 10 minutes ago and the re-stored one, not the one stored 2 hours ago');
SELECT results_eq($$SELECT * FROM deep_scan_state WHERE id = 'ds-lead-2'$$,
	$$VALUES ('ds-lead-2', 'completed', now() - interval '20 minutes', now(), now())$$,
	'finish_deep_scan keeps started_at and stamps completed_at');

--
-- 3. stale_after
--
CALL pg_temp.age('ds-lead-3');
SELECT results_eq($$SELECT * FROM leadstore.begin_deep_scan('ds-lead-3', interval '2 hours')$$,
	$$VALUES ('ds-lead-3', 'running', now() - interval '1 hour', NULL::timestamptz, 0, false)$$,
	'a run started an hour ago is not stale after 2 hours: no transition');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'no write for a run that is not stale');
SELECT results_eq($$SELECT * FROM leadstore.begin_deep_scan('ds-lead-3')$$,
	$$VALUES ('ds-lead-3', 'running', now(), NULL::timestamptz, 0, true)$$,
	'a run started an hour ago is stale after the default 30 minutes: taken over');
SELECT results_eq($$SELECT * FROM deep_scan_state WHERE id = 'ds-lead-3'$$,
	$$VALUES ('ds-lead-3', 'running', now(), NULL::timestamptz, now())$$,
	'the take-over writes started_at = now()');
CALL pg_temp.age('ds-lead-3');
SELECT lives_ok($$SELECT leadstore.begin_deep_scan('ds-lead-3', NULL)$$,
	'begin_deep_scan with stale_after => NULL (an ORM''s "not given") works');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'stale_after => NULL means the default 30 minutes: the fresh run is kept, nothing written');
SELECT results_eq($$SELECT transitioned FROM leadstore.begin_deep_scan('ds-lead-3', stale_after => interval '0')$$,
	$$VALUES (true)$$,
	'stale_after => 0: every run is stale');
SELECT results_eq($$SELECT * FROM deep_scan_state WHERE id = 'ds-lead-3'$$,
	$$VALUES ('ds-lead-3', 'running', now(), NULL::timestamptz, now())$$,
	'the take-over with stale_after 0 is written');

--
-- 4. Sections of other leads do not count
--
SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('ds-lead-5', 'overview', '{}')$$,
	$$VALUES (true)$$, 'setup: a section of another lead stored now');
SELECT results_eq($$SELECT * FROM leadstore.finish_deep_scan('ds-lead-4')$$,
	$$VALUES ('ds-lead-4', 'failed', now() - interval '5 minutes', now(), 0, true)$$,
	'finish_deep_scan does not count another lead''s sections: failed');
SELECT results_eq($$SELECT * FROM deep_scan_state WHERE id = 'ds-lead-4'$$,
	$$VALUES ('ds-lead-4', 'failed', now() - interval '5 minutes', now(), now())$$,
	'the failed run is written');

--
-- 5. A begun run rolls back with the caller's savepoint
--
CALL pg_temp.age('ds-lead-5');
SAVEPOINT before_begin;
SELECT transitioned AS begin_transitioned FROM leadstore.begin_deep_scan('ds-lead-5')
\gset
ROLLBACK TO SAVEPOINT before_begin;
SELECT is(:'begin_transitioned'::text, 't', 'setup: begin_deep_scan inside the savepoint started a run');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'after ROLLBACK TO SAVEPOINT the lead is pending again, row version included');
SELECT is((SELECT deep_scan_status FROM public.leads WHERE id = 'ds-lead-5'), 'pending',
	'the rolled-back run left the status pending');

SELECT * FROM finish();
ROLLBACK;
