--
-- deep_scan_token.sql
--		The run token, outcome and error of finish_deep_scan, and
--		begin_deep_scan clearing the error:
--		- begin_deep_scan returns the run's started_at; passed back to
--		  finish_deep_scan it must name the lead's current run: equal to the
--		  stored started_at, or equal to it truncated to milliseconds (a
--		  JavaScript Date), in any time zone notation;
--		- a token of a run that was taken over or has finished, or any other
--		  instant, raises 55000 with a DETAIL naming the current run's status,
--		  and writes nothing; without a token the call behaves as in 0.1.0;
--		- outcome 'completed' / 'failed' is stored as given, other text is
--		  22023, NULL keeps the "a section was stored since started_at" rule;
--		- error is stored in leads.deep_scan_error when that column exists
--		  (NULL clears it); a non-NULL error without the column is 42703 with
--		  a HINT giving the ALTER TABLE; begin_deep_scan clears the column.
--
BEGIN;
SELECT plan(60);
SET LOCAL TimeZone = 'UTC';	-- error messages show tokens in the session's time zone

-- Two copies of the data model, one with the optional deep_scan_error
-- column and one without it, whatever the reference script ships
CREATE SCHEMA dt_err;
SET LOCAL search_path = dt_err;
\ir ../../sql/leadstore_data_model.sql
RESET search_path;
SET LOCAL client_min_messages = warning;
ALTER TABLE dt_err.leads ADD COLUMN IF NOT EXISTS deep_scan_error text;
RESET client_min_messages;
CREATE SCHEMA dt_noerr;
SET LOCAL search_path = dt_noerr;
\ir ../../sql/leadstore_data_model.sql
RESET search_path;
ALTER TABLE dt_noerr.leads DROP COLUMN IF EXISTS deep_scan_error;

-- The same fixture in each schema.  The runs of dt-lead-1..6 started at
-- 10:00:00.123456 UTC, a time with microseconds, as now() has.
CREATE PROCEDURE pg_temp.fixture(nsp text) LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format($f$
		INSERT INTO %1$I.business_units (id, name) VALUES ('dt-bu', 'Token BU');
		INSERT INTO %1$I.rfps (id, title) VALUES ('dt-rfp', 'Token RFP');
		INSERT INTO %1$I.leads (id, rfp_id, business_unit_id, customer_name,
			deep_scan_status, deep_scan_started_at, deep_scan_completed_at,
			created_at, updated_at)
		SELECT 'dt-lead-' || i, 'dt-rfp', 'dt-bu', 'Customer ' || i, 'running',
		       '2024-05-01 10:00:00.123456+00', NULL, '2024-01-01', '2024-01-01'
		FROM generate_series(1, 9) i;
		INSERT INTO %1$I.leads (id, rfp_id, business_unit_id, customer_name,
			deep_scan_status, created_at, updated_at)
		VALUES ('dt-pending', 'dt-rfp', 'dt-bu', 'Pending', 'pending', '2024-01-01', '2024-01-01');
		$f$, nsp);
END
$$;
CALL pg_temp.fixture('public');
CALL pg_temp.fixture('dt_err');
CALL pg_temp.fixture('dt_noerr');

-- Every lead and section row of the three schemas, with its version
CREATE FUNCTION pg_temp.data_state()
RETURNS TABLE (tbl text, row_ctid text, row_xmin text, row_text text)
LANGUAGE sql AS $$
	SELECT 'public.leads', ctid::text, xmin::text, t::text FROM public.leads t
	UNION ALL SELECT 'public.lead_section_data', ctid::text, xmin::text, t::text FROM public.lead_section_data t
	UNION ALL SELECT 'dt_err.leads', ctid::text, xmin::text, t::text FROM dt_err.leads t
	UNION ALL SELECT 'dt_noerr.leads', ctid::text, xmin::text, t::text FROM dt_noerr.leads t
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
-- The DETAIL and the HINT of the error a statement raises
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
CREATE TEMP VIEW run_state AS
	SELECT id, deep_scan_status, deep_scan_started_at, deep_scan_completed_at, updated_at
	FROM public.leads;

--
-- 1. Tokens that name the current run
--
SELECT results_eq(
	$$SELECT * FROM leadstore.finish_deep_scan('dt-lead-1', '2024-05-01 10:00:00.123456+00')$$,
	$$VALUES ('dt-lead-1', 'failed', '2024-05-01 10:00:00.123456+00'::timestamptz, now(), 0, true)$$,
	'the exact started_at as token finishes the run (no section stored: failed)');
SELECT results_eq($$SELECT * FROM run_state WHERE id = 'dt-lead-1'$$,
	$$VALUES ('dt-lead-1', 'failed', '2024-05-01 10:00:00.123456+00'::timestamptz, now(), now())$$,
	'the run is written as failed, completed_at and updated_at = now()');
SELECT results_eq(
	$$SELECT status, transitioned FROM leadstore.finish_deep_scan('dt-lead-2', '2024-05-01 12:00:00.123456+02')$$,
	$$VALUES ('failed', true)$$,
	'the same instant written with another UTC offset is the same token');
SELECT results_eq(
	$$SELECT status, started_at, transitioned
	  FROM leadstore.finish_deep_scan('dt-lead-3', '2024-05-01 10:00:00.123+00')$$,
	$$VALUES ('failed', '2024-05-01 10:00:00.123456+00'::timestamptz, true)$$,
	'the token truncated to milliseconds (a JavaScript Date) matches; the stored started_at is returned');
SET LOCAL TimeZone = 'America/New_York';
SELECT results_eq(
	$$SELECT status, transitioned
	  FROM leadstore.finish_deep_scan(lead_id => 'dt-lead-4', started_at => '2024-05-01T06:00:00.123-04:00')$$,
	$$VALUES ('failed', true)$$,
	'an ISO 8601 token with milliseconds and offset (as node-postgres sends a Date) matches under TimeZone America/New_York');
SET LOCAL TimeZone = 'UTC';

-- the token begin_deep_scan returns is accepted as it is
SELECT started_at AS begun_at FROM leadstore.begin_deep_scan('dt-pending')
\gset
SELECT is(:'begun_at'::timestamptz, now(), 'setup: begin_deep_scan on a pending lead returns started_at = now() as the token');
SELECT results_eq(
	'SELECT status, transitioned FROM leadstore.finish_deep_scan(''dt-pending'', started_at => '
	|| quote_literal(:'begun_at') || ')',
	$$VALUES ('failed', true)$$,
	'the token begin_deep_scan returned finishes that run');
SELECT results_eq(
	$$SELECT status, transitioned FROM leadstore.begin_deep_scan('dt-pending')$$,
	$$VALUES ('running', true)$$,
	'setup: a new run of the same lead');
SELECT results_eq(
	$$SELECT status, transitioned FROM leadstore.finish_deep_scan('dt-pending', date_trunc('milliseconds', now()))$$,
	$$VALUES ('failed', true)$$,
	'begin_deep_scan''s token truncated to milliseconds finishes that run');

--
-- 2. Tokens that do not name the current run: 55000, nothing written
--
CALL pg_temp.take_baseline();
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-5', '2024-05-01 10:00:00.124+00')$$,
	'55000', 'deep scan run of lead "dt-lead-5" started at 2024-05-01 10:00:00.124+00 is not the current run',
	'a token rounded up to the next millisecond (not truncated) does not match: 55000');
SELECT ok(pg_temp.unchanged(), 'the token rounded up: nothing written');
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-5', '2024-05-01 10:00:00+00')$$,
	'55000', 'deep scan run of lead "dt-lead-5" started at 2024-05-01 10:00:00+00 is not the current run',
	'a token truncated to seconds does not match: 55000');
SELECT ok(pg_temp.unchanged(), 'the token truncated to seconds: nothing written');
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-5', '2024-05-01 10:00:00.123457+00')$$,
	'55000', 'deep scan run of lead "dt-lead-5" started at 2024-05-01 10:00:00.123457+00 is not the current run',
	'a token one microsecond late does not match: 55000');
SELECT ok(pg_temp.unchanged(), 'the token one microsecond late: nothing written');
SELECT matches(
	pg_temp.detail_of($$SELECT leadstore.finish_deep_scan('dt-lead-5', '2024-05-01 10:00:00+00')$$),
	'"running", started at 2024-05-01 10:00:00\.123456\+00',
	'the DETAIL names the current run: its status (running) and its started_at');
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-1', '2024-05-01 10:00:00.123456+00')$$,
	'55000', 'deep scan run of lead "dt-lead-1" started at 2024-05-01 10:00:00.123456+00 is not the current run',
	'the token of a run that has finished already: 55000');
SELECT ok(pg_temp.unchanged(), 'the finished run''s token: nothing written');
SELECT matches(
	pg_temp.detail_of($$SELECT leadstore.finish_deep_scan('dt-lead-1', '2024-05-01 10:00:00.123456+00')$$),
	'failed',
	'the DETAIL names the current status of the finished run (failed)');
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-1', now())$$,
	'55000', format('deep scan run of lead "dt-lead-1" started at %s is not the current run', now()),
	'any token on a lead that is not running: 55000');
SELECT ok(pg_temp.unchanged(), 'a token on a lead that is not running: nothing written');
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-1')$$,
	'55000', 'lead "dt-lead-1" has no deep scan running',
	'without a token, a lead that is not running: 55000 as in 0.1.0');

--
-- 3. Takeover: run A (the fixture's) goes stale, B takes over, A wakes up
--
SELECT results_eq(
	$$SELECT status, started_at, transitioned
	  FROM leadstore.begin_deep_scan('dt-lead-6', stale_after => '1 hour')$$,
	$$VALUES ('running', now(), true)$$,
	'B takes the stale run over; B''s token is now()');
SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('dt-lead-6', 'overview', '{"by": "B"}')$$,
	$$VALUES (true)$$,
	'setup: B stores a section');
CALL pg_temp.take_baseline();
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-6', '2024-05-01 10:00:00.123456+00', 'completed')$$,
	'55000', 'deep scan run of lead "dt-lead-6" started at 2024-05-01 10:00:00.123456+00 is not the current run',
	'A''s late finish with its own token: 55000');
SELECT ok(pg_temp.unchanged(), 'A''s late finish wrote nothing: B''s run is still running');
SELECT matches(
	pg_temp.detail_of($$SELECT leadstore.finish_deep_scan('dt-lead-6', '2024-05-01 10:00:00.123456+00')$$),
	'running',
	'the DETAIL of A''s late finish names the current run (running)');
SELECT results_eq(
	$$SELECT * FROM leadstore.finish_deep_scan('dt-lead-6', now())$$,
	$$VALUES ('dt-lead-6', 'completed', now(), now(), 1, true)$$,
	'B finishes its own run normally with its token');

--
-- 4. outcome
--
SELECT results_eq(
	$$SELECT status, sections_stored, transitioned
	  FROM leadstore.finish_deep_scan('dt-lead-7', outcome => 'completed')$$,
	$$VALUES ('completed', 0, true)$$,
	'outcome completed with no section stored: completed as given');
SELECT is((SELECT deep_scan_status FROM public.leads WHERE id = 'dt-lead-7'), 'completed',
	'outcome completed is written');
SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('dt-lead-8', 'overview', '{}')$$,
	$$VALUES (true)$$,
	'setup: a section stored during dt-lead-8''s run');
CALL pg_temp.take_baseline();
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-8', outcome => 'done')$$,
	'22023', 'invalid outcome "done"', 'outcome ''done'': 22023');
SELECT ok(pg_temp.unchanged(), 'outcome ''done'': nothing written');
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-8', outcome => 'Completed')$$,
	'22023', 'invalid outcome "Completed"', 'outcome ''Completed'' (case matters): 22023');
SELECT ok(pg_temp.unchanged(), 'outcome ''Completed'': nothing written');
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-8', outcome => '')$$,
	'22023', 'invalid outcome ""', 'outcome empty: 22023');
SELECT ok(pg_temp.unchanged(), 'outcome empty: nothing written');
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-8', outcome => 'running')$$,
	'22023', 'invalid outcome "running"', 'outcome ''running'': 22023');
SELECT ok(pg_temp.unchanged(), 'outcome ''running'': nothing written');
SELECT results_eq(
	$$SELECT status, sections_stored, transitioned
	  FROM leadstore.finish_deep_scan('dt-lead-8', '2024-05-01 10:00:00.123456+00', 'failed')$$,
	$$VALUES ('failed', 1, true)$$,
	'outcome failed with a section stored: failed as given, sections_stored still reported');
SELECT is((SELECT deep_scan_status FROM public.leads WHERE id = 'dt-lead-8'), 'failed',
	'outcome failed is written');
SELECT results_eq(
	$$SELECT status, transitioned FROM leadstore.finish_deep_scan('dt-lead-9', outcome => NULL)$$,
	$$VALUES ('failed', true)$$,
	'outcome NULL keeps the 0.1.0 rule (no section stored: failed)');

--
-- 5. error, with the deep_scan_error column (schema dt_err)
--
SET LOCAL leadstore.data_schema = 'dt_err';
SELECT results_eq(
	$$SELECT status, transitioned
	  FROM leadstore.finish_deep_scan('dt-lead-1', '2024-05-01 10:00:00.123456+00', 'failed',
	       'agent "tech" timed out after 30 minutes')$$,
	$$VALUES ('failed', true)$$,
	'finish with outcome failed and an error text');
SELECT results_eq(
	$$SELECT deep_scan_status, deep_scan_error, deep_scan_completed_at FROM dt_err.leads WHERE id = 'dt-lead-1'$$,
	$$VALUES ('failed', 'agent "tech" timed out after 30 minutes', now())$$,
	'the error text is stored in deep_scan_error');
SELECT results_eq(
	$$SELECT status, transitioned FROM leadstore.begin_deep_scan('dt-lead-1')$$,
	$$VALUES ('running', true)$$,
	'a new run begins');
SELECT is((SELECT deep_scan_error FROM dt_err.leads WHERE id = 'dt-lead-1'), NULL,
	'begin_deep_scan cleared deep_scan_error');
UPDATE dt_err.leads SET deep_scan_error = 'left over' WHERE id = 'dt-lead-2';
SELECT results_eq(
	$$SELECT status FROM leadstore.finish_deep_scan('dt-lead-2', outcome => 'completed', error => NULL)$$,
	$$VALUES ('completed')$$,
	'finish with error NULL');
SELECT is((SELECT deep_scan_error FROM dt_err.leads WHERE id = 'dt-lead-2'), NULL,
	'error NULL clears deep_scan_error');
SELECT results_eq(
	$$SELECT status FROM leadstore.finish_deep_scan('dt-lead-3', error => 'partial: 2 of 13 agents failed')$$,
	$$VALUES ('failed')$$,
	'an error without outcome: the 0.1.0 rule decides the status (failed), the error is stored');
SELECT is((SELECT deep_scan_error FROM dt_err.leads WHERE id = 'dt-lead-3'), 'partial: 2 of 13 agents failed',
	'the error of a finish without outcome is stored');
UPDATE dt_err.leads SET deep_scan_error = 'kept' WHERE id = 'dt-lead-4';
CALL pg_temp.take_baseline();
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-4', '2024-05-01 10:00:00+00', 'failed', 'late error')$$,
	'55000', 'deep scan run of lead "dt-lead-4" started at 2024-05-01 10:00:00+00 is not the current run',
	'a wrong token with an error: 55000');
SELECT ok(pg_temp.unchanged(), 'a wrong token with an error: nothing written, the old error is kept');
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-4', outcome => 'finished', error => 'x')$$,
	'22023', 'invalid outcome "finished"',
	'an invalid outcome with an error: 22023');
SELECT ok(pg_temp.unchanged(), 'an invalid outcome with an error: nothing written');

--
-- 6. error, without the deep_scan_error column (schema dt_noerr)
--
SET LOCAL leadstore.data_schema = 'dt_noerr';
SELECT throws_ok(
	$$SELECT leadstore.finish_deep_scan('dt-lead-1', '2024-05-01 10:00:00.123456+00', 'failed', 'boom')$$,
	'42703', 'column "deep_scan_error" of relation "dt_noerr.leads" does not exist',
	'a non-NULL error without a deep_scan_error column: 42703');
SELECT ok(pg_temp.unchanged(), 'error without the column: nothing written');
SELECT matches(
	pg_temp.hint_of($$SELECT leadstore.finish_deep_scan('dt-lead-1', '2024-05-01 10:00:00.123456+00', 'failed', 'boom')$$),
	'ALTER TABLE .*dt_noerr.*leads.* ADD COLUMN deep_scan_error text',
	'the HINT gives the ALTER TABLE ... ADD COLUMN deep_scan_error text for the lead table');
SELECT results_eq(
	$$SELECT status, transitioned
	  FROM leadstore.finish_deep_scan('dt-lead-1', '2024-05-01 10:00:00.123456+00', 'failed', NULL)$$,
	$$VALUES ('failed', true)$$,
	'without the column, a finish with error NULL works');
SELECT results_eq(
	$$SELECT status, transitioned FROM leadstore.begin_deep_scan('dt-lead-1')$$,
	$$VALUES ('running', true)$$,
	'without the column, begin_deep_scan works (nothing to clear)');
SELECT results_eq(
	$$SELECT deep_scan_status, deep_scan_started_at FROM dt_noerr.leads WHERE id = 'dt-lead-1'$$,
	$$VALUES ('running', now())$$,
	'the run of the schema without the column is written');
SET LOCAL leadstore.data_schema = 'public';

SELECT * FROM finish();
ROLLBACK;
