--
-- deep_scan: begin_deep_scan and finish_deep_scan behaviour
--
\set SHOW_CONTEXT never

-- begin: pending -> running, started_at = now(), completed_at NULL
BEGIN;
SELECT lead_id, status, started_at = now() AS started_now, completed_at,
	   sections_stored, transitioned
FROM leadstore.begin_deep_scan('lead-3');
SELECT deep_scan_status, deep_scan_started_at = now() AS started_now,
	   deep_scan_completed_at, updated_at = now() AS updated_now
FROM leads WHERE id = 'lead-3';
COMMIT;

-- a second begin while the run is fresh writes nothing
SELECT ctid AS before_ctid, xmin AS before_xmin FROM leads WHERE id = 'lead-3' \gset
SELECT status, transitioned FROM leadstore.begin_deep_scan('lead-3');
SELECT ctid = :'before_ctid' AND xmin = :'before_xmin' AS same_version
FROM leads WHERE id = 'lead-3';

-- finish with no section stored since started_at: failed
BEGIN;
SELECT lead_id, status, completed_at = now() AS completed_now,
	   sections_stored, transitioned
FROM leadstore.finish_deep_scan('lead-3');
SELECT deep_scan_status, deep_scan_completed_at = now() AS completed_now
FROM leads WHERE id = 'lead-3';
COMMIT;

-- begin again after a finished run, store two sections, finish: completed
SELECT status, completed_at, transitioned FROM leadstore.begin_deep_scan('lead-3');
SELECT created FROM leadstore.store_section_result('lead-3', 'overview', '{}');
SELECT created FROM leadstore.store_section_result('lead-3', 'risks', '{}');
-- begin on a running lead reports the sections stored so far
SELECT status, sections_stored, transitioned FROM leadstore.begin_deep_scan('lead-3');
SELECT status, sections_stored, transitioned FROM leadstore.finish_deep_scan('lead-3');

-- only sections stored since started_at count: an older section does not
UPDATE leads SET deep_scan_status = 'running',
	deep_scan_started_at = now() + interval '1 hour' WHERE id = 'lead-3';
SELECT status, sections_stored FROM leadstore.finish_deep_scan('lead-3');

-- a stale run is taken over: started two hours ago, stale after 30 minutes
UPDATE leads SET deep_scan_status = 'running',
	deep_scan_started_at = now() - interval '2 hours',
	deep_scan_completed_at = NULL WHERE id = 'lead-4';
SELECT status, started_at = now() AS restarted, transitioned
FROM leadstore.begin_deep_scan('lead-4');
-- not stale with a longer stale_after
UPDATE leads SET deep_scan_started_at = now() - interval '2 hours' WHERE id = 'lead-4';
SELECT status, started_at = now() AS restarted, transitioned
FROM leadstore.begin_deep_scan('lead-4', stale_after => '3 hours');
-- stale_after 0: always taken over; NULL means the default
SELECT transitioned FROM leadstore.begin_deep_scan('lead-4', interval '0');
SELECT transitioned FROM leadstore.begin_deep_scan('lead-4', NULL);
-- running without started_at counts as stale
UPDATE leads SET deep_scan_started_at = NULL WHERE id = 'lead-4';
SELECT status, transitioned FROM leadstore.begin_deep_scan('lead-4');

-- a failed run can be begun again; the run rolled back with the caller
UPDATE leads SET deep_scan_status = 'failed' WHERE id = 'lead-4';
BEGIN;
SELECT status, transitioned FROM leadstore.begin_deep_scan('lead-4');
ROLLBACK;
SELECT deep_scan_status FROM leads WHERE id = 'lead-4';

--
-- The run token: begin_deep_scan's started_at, passed back to
-- finish_deep_scan.  (Timestamps below are fixed values set by UPDATE where
-- an error's DETAIL names them, so that the output is stable.)
--

-- begin returns the token; finish with it finishes that run
SELECT started_at AS token, transitioned FROM leadstore.begin_deep_scan('lead-4') \gset
SELECT status, started_at = :'token' AS same_run, transitioned
FROM leadstore.finish_deep_scan('lead-4', :'token');

-- a stale takeover: run A began long ago, run B takes over; A's late finish
-- with its token gets 55000 and writes nothing, B finishes normally
UPDATE leads SET deep_scan_status = 'running',
	deep_scan_started_at = '2024-05-01 12:00:00+00',
	deep_scan_completed_at = NULL WHERE id = 'lead-4';
SELECT started_at AS token_b, transitioned FROM leadstore.begin_deep_scan('lead-4') \gset
SELECT snapshot();
\set VERBOSITY terse
SELECT * FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 12:00:00+00');
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();
SELECT status, started_at = :'token_b' AS same_run, transitioned
FROM leadstore.finish_deep_scan('lead-4', :'token_b', 'completed');
-- the token of a finished run: 55000 (the run is no longer running; the
-- message names the token, now(): only the SQLSTATE is shown)
\set VERBOSITY sqlstate
SELECT * FROM leadstore.finish_deep_scan('lead-4', :'token_b');
\set VERBOSITY default

-- the DETAIL names the current run's status and started_at
UPDATE leads SET deep_scan_status = 'running',
	deep_scan_started_at = '2024-05-01 13:00:00+00' WHERE id = 'lead-4';
SELECT snapshot();
SELECT * FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 12:00:00+00');
\echo :LAST_ERROR_SQLSTATE
UPDATE leads SET deep_scan_status = 'completed' WHERE id = 'lead-4';
SELECT snapshot();
SELECT * FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 13:00:00+00');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- a token matches the stored started_at exactly, or truncated to
-- milliseconds (what a JavaScript Date keeps); any other instant does not
UPDATE leads SET deep_scan_status = 'running',
	deep_scan_started_at = '2024-05-01 12:00:00.123456+00' WHERE id = 'lead-4';
BEGIN;
SELECT status, started_at FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 12:00:00.123456+00');
ROLLBACK;
BEGIN;
SELECT status, started_at FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 12:00:00.123+00');
ROLLBACK;
BEGIN;
SELECT status, started_at FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 08:00:00.123-04');
ROLLBACK;
SELECT snapshot();
\set VERBOSITY terse
SELECT * FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 12:00:00.124+00');
SELECT * FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 12:00:00.123457+00');
SELECT * FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 12:00:00.122999+00');
SELECT * FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 12:00:00+00');
\set VERBOSITY default
SELECT unchanged();
-- a stored started_at with whole milliseconds, and its millisecond token
UPDATE leads SET deep_scan_started_at = '2024-05-01 12:00:00.123+00' WHERE id = 'lead-4';
BEGIN;
SELECT status, started_at FROM leadstore.finish_deep_scan('lead-4', '2024-05-01 12:00:00.123+00');
ROLLBACK;
-- the token of a run begun now, truncated to milliseconds
SELECT started_at AS token_now FROM leadstore.begin_deep_scan('lead-4', '0') \gset
SELECT status, started_at = :'token_now' AS same_run
FROM leadstore.finish_deep_scan('lead-4', date_trunc('milliseconds', :'token_now'::timestamptz));

--
-- outcome: 'completed' or 'failed' as given; NULL the 0.1.0 rule
--
-- completed with no section stored since started_at
SELECT transitioned FROM leadstore.begin_deep_scan('lead-4');
SELECT status, sections_stored FROM leadstore.finish_deep_scan('lead-4', outcome => 'completed');
-- failed although a section was stored
SELECT started_at AS token FROM leadstore.begin_deep_scan('lead-4') \gset
SELECT created FROM leadstore.store_section_result('lead-4', 'outcome', '{}');
SELECT status, sections_stored FROM leadstore.finish_deep_scan('lead-4', :'token', 'failed');
-- anything else is 22023, nothing written
SELECT started_at AS token FROM leadstore.begin_deep_scan('lead-4') \gset
SELECT snapshot();
SELECT * FROM leadstore.finish_deep_scan('lead-4', :'token', 'done');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.finish_deep_scan('lead-4', :'token', 'Completed');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.finish_deep_scan('lead-4', outcome => '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.finish_deep_scan('lead-4', outcome => 'running');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

--
-- error: stored in deep_scan_error when the lead table has that column
--
SELECT status FROM leadstore.finish_deep_scan('lead-4', :'token', 'failed',
	'section agent timed out');
SELECT deep_scan_status, deep_scan_error FROM leads WHERE id = 'lead-4';
-- begin clears it
SELECT transitioned FROM leadstore.begin_deep_scan('lead-4');
SELECT deep_scan_status, deep_scan_error FROM leads WHERE id = 'lead-4';
-- a begin that does not start a run writes nothing, the error neither
UPDATE leads SET deep_scan_error = 'kept' WHERE id = 'lead-4';
SELECT transitioned FROM leadstore.begin_deep_scan('lead-4');
SELECT deep_scan_error FROM leads WHERE id = 'lead-4';
-- finish with a NULL error clears it
SELECT status FROM leadstore.finish_deep_scan('lead-4', outcome => 'completed');
SELECT deep_scan_status, deep_scan_error FROM leads WHERE id = 'lead-4';

-- without the column: an error text is 42703 with a HINT, nothing written;
-- no error text needs no column
ALTER TABLE leads DROP COLUMN deep_scan_error;
SELECT transitioned FROM leadstore.begin_deep_scan('lead-4');
SELECT snapshot();
SELECT * FROM leadstore.finish_deep_scan('lead-4', outcome => 'failed', error => 'boom');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();
SELECT status FROM leadstore.finish_deep_scan('lead-4', outcome => 'failed');
SELECT * FROM leadstore.check_data_model() WHERE logical_name = 'leads.deep_scan_error';
ALTER TABLE leads ADD COLUMN deep_scan_error text;

--
-- Locks and writes are statements: a read-only transaction refuses them in
-- PostgreSQL's words, and the lead table's own triggers fire
--
BEGIN READ ONLY;
SELECT * FROM leadstore.begin_deep_scan('lead-2');
ROLLBACK;
CREATE FUNCTION regress_note_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE '% % trigger on %', TG_WHEN, TG_LEVEL, TG_TABLE_NAME;
	RETURN NULL;
END
$$;
CREATE TRIGGER regress_after_statement AFTER UPDATE ON leads
	FOR EACH STATEMENT EXECUTE FUNCTION regress_note_update();
SELECT status, transitioned FROM leadstore.begin_deep_scan('lead-2', '0');
SELECT status FROM leadstore.finish_deep_scan('lead-2');
DROP TRIGGER regress_after_statement ON leads;
DROP FUNCTION regress_note_update();
