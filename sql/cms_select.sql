--
-- cms_select: select_cms, select_cms_if, clear_cms_selection,
-- select_default_cms behaviour
--
\set SHOW_CONTEXT never

-- the first selection writes selected_cms_id and updated_at
UPDATE leads SET updated_at = '2000-01-01' WHERE id = 'lead-2';
BEGIN;
SELECT * FROM leadstore.select_cms('lead-2', 'cms-wp');
SELECT selected_cms_id, updated_at = now() AS updated_now FROM leads WHERE id = 'lead-2';
COMMIT;

-- selecting the same again writes nothing: no new row version
SELECT ctid AS before_ctid, xmin AS before_xmin FROM leads WHERE id = 'lead-2' \gset
SELECT * FROM leadstore.select_cms('lead-2', 'cms-wp');
SELECT ctid = :'before_ctid' AND xmin = :'before_xmin' AS same_version
FROM leads WHERE id = 'lead-2';

-- a change reports the previous selection
SELECT * FROM leadstore.select_cms(lead_id => 'lead-2', cms_id => 'cms-drupal');
SELECT * FROM leadstore.select_cms('lead-2', 'cms-aem', nowait => true);

-- select_cms_if: writes only when the current selection is the expected one
SELECT * FROM leadstore.select_cms_if('lead-2', 'cms-wp', 'cms-drupal');
SELECT selected_cms_id FROM leads WHERE id = 'lead-2';
SELECT * FROM leadstore.select_cms_if('lead-2', 'cms-aem', 'cms-drupal');
-- NULL expected: only when nothing is selected
SELECT * FROM leadstore.select_cms_if('lead-2', NULL, 'cms-wp');
SELECT * FROM leadstore.select_cms_if('lead-5', NULL, 'cms-wp');
SELECT * FROM leadstore.select_cms_if('lead-5', NULL, 'cms-aem');
-- expecting the current value and choosing it again changes nothing
SELECT * FROM leadstore.select_cms_if('lead-5', 'cms-wp', 'cms-wp');

-- clear_cms_selection
SELECT * FROM leadstore.clear_cms_selection('lead-5');
SELECT ctid AS before_ctid, xmin AS before_xmin FROM leads WHERE id = 'lead-5' \gset
SELECT * FROM leadstore.clear_cms_selection('lead-5', true);
SELECT ctid = :'before_ctid' AND xmin = :'before_xmin' AS same_version,
	   selected_cms_id FROM leads WHERE id = 'lead-5';

-- select_default_cms: bu-1 has two defaults, the smallest id wins
SELECT * FROM leadstore.select_default_cms('lead-5');
-- already selected: nothing written
SELECT * FROM leadstore.select_default_cms('lead-5');
SELECT * FROM leadstore.select_default_cms('lead-2');
-- bu-3 has no default CMS (and bu-2's only CMS is no default)
SELECT * FROM leadstore.select_default_cms('lead-4');
SELECT * FROM leadstore.select_default_cms('lead-3', nowait => true);
SELECT id, selected_cms_id FROM leads WHERE id IN ('lead-3', 'lead-4') ORDER BY id;
-- a default that is not a CMS does not count
INSERT INTO technologies (id, name, business_unit_id, category, is_default)
VALUES ('fw-default', 'Default framework', 'bu-3', 'Framework', true);
SELECT * FROM leadstore.select_default_cms('lead-4');
DELETE FROM technologies WHERE id = 'fw-default';

-- the data model: deleting the selected technology clears the selection
INSERT INTO technologies (id, name, business_unit_id, category)
VALUES ('cms-temp', 'Temporary', 'bu-2', 'CMS');
SELECT * FROM leadstore.select_cms('lead-3', 'cms-temp');
DELETE FROM technologies WHERE id = 'cms-temp';
SELECT selected_cms_id FROM leads WHERE id = 'lead-3';

-- a rolled-back selection leaves the previous one
BEGIN;
SELECT * FROM leadstore.select_cms('lead-2', 'cms-wp');
ROLLBACK;
SELECT selected_cms_id FROM leads WHERE id = 'lead-2';

--
-- Locks and writes are statements, so they behave as the statements would:
--
-- a row lock is a write: refused in a read-only transaction
BEGIN READ ONLY;
SELECT * FROM leadstore.select_cms('lead-2', 'cms-aem');
ROLLBACK;

-- privileges granted on columns only are checked; without UPDATE on any
-- column of technologies, its FOR SHARE lock is refused
CREATE ROLE regress_ls_columns;
GRANT USAGE ON SCHEMA leadstore TO regress_ls_columns;
GRANT SELECT (id, business_unit_id, selected_cms_id, deep_scan_status,
			  deep_scan_started_at, deep_scan_completed_at),
	  UPDATE (selected_cms_id, updated_at) ON leads TO regress_ls_columns;
GRANT SELECT (id, business_unit_id, category), UPDATE (name)
	ON technologies TO regress_ls_columns;
SET ROLE regress_ls_columns;
SELECT * FROM leadstore.select_cms('lead-2', 'cms-aem');
RESET ROLE;
REVOKE UPDATE (name) ON technologies FROM regress_ls_columns;
SET ROLE regress_ls_columns;
SELECT * FROM leadstore.select_cms('lead-2', 'cms-wp');
RESET ROLE;
REVOKE ALL ON leads, technologies FROM regress_ls_columns;
SELECT * FROM leadstore.select_cms('lead-2', 'cms-drupal');
REVOKE USAGE ON SCHEMA leadstore FROM regress_ls_columns;
DROP ROLE regress_ls_columns;

-- CHECK constraints and triggers on the lead table apply
ALTER TABLE leads ADD CONSTRAINT regress_no_wp
	CHECK (selected_cms_id IS DISTINCT FROM 'cms-wp') NOT VALID;
\set VERBOSITY terse
SELECT * FROM leadstore.select_cms('lead-5', 'cms-wp');
\set VERBOSITY default
ALTER TABLE leads DROP CONSTRAINT regress_no_wp;
CREATE FUNCTION regress_note_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE '% % trigger on %', TG_WHEN, TG_LEVEL, TG_TABLE_NAME;
	RETURN NULL;
END
$$;
CREATE TRIGGER regress_after_row AFTER UPDATE ON leads
	FOR EACH ROW EXECUTE FUNCTION regress_note_update();
SELECT * FROM leadstore.select_cms('lead-5', 'cms-drupal');
-- (nothing written, no trigger)
SELECT * FROM leadstore.select_cms('lead-5', 'cms-drupal');
DROP TRIGGER regress_after_row ON leads;
DROP FUNCTION regress_note_update();
SELECT * FROM leadstore.clear_cms_selection('lead-5');
SELECT * FROM leadstore.select_default_cms('lead-5');

-- a lead kept in an inheritance child of leads is found and updated
CREATE TABLE leads_archive () INHERITS (leads);
INSERT INTO leads_archive (id, rfp_id, business_unit_id, customer_name)
VALUES ('lead-archived', 'rfp-1', 'bu-1', 'Archived');
SELECT * FROM leadstore.select_cms('lead-archived', 'cms-wp');
SELECT selected_cms_id FROM leads_archive WHERE id = 'lead-archived';
DROP TABLE leads_archive;
