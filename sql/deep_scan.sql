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
