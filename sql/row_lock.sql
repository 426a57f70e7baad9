--
-- row_lock: the CMS and deep-scan functions lock the lead (FOR NO KEY
-- UPDATE) and the technology (FOR SHARE) without a statement (row_lock.c)
-- when the table allows it, and through a kept SPI statement otherwise;
-- likewise they update the lead they locked so without a statement
-- (ExecSimpleRelationUpdate) when the table has no rules and no triggers but
-- the foreign keys'.  Both ways give the same results; which one ran shows
-- in the kept plans: a statement is prepared (and appears in
-- pg_backend_memory_contexts) only when it is used.  Concurrency of both
-- paths: isolation spec row_lock_chain.
--
\set SHOW_CONTEXT never

CREATE VIEW lock_statements AS
SELECT split_part(ident, ' ', 1) AS statement,
	   substring(ident FROM '(?:FROM|UPDATE) ((?:"[^"]*"|[a-z_]+)\."[a-z_]+") ') AS target,
	   substring(ident FROM ' SET ("[a-z_]+")') AS sets,
	   substring(ident FROM 'WHERE ([a-z]+\."[a-z_]+")') AS first_condition,
	   substring(ident FROM 'FOR (?:NO KEY UPDATE|SHARE).*$') AS locking
FROM pg_backend_memory_contexts
WHERE name = 'CachedPlanSource'
  AND ident ~ '^(SELECT|UPDATE) '
  AND ident ~ '\."(leads|technologies)"'
  AND ident !~ ' ONLY '	-- the foreign keys' own kept plans
ORDER BY 1, 2, 3, 4, 5;

-- the data model as shipped: no statement locks or updates a lead, or locks
-- a technology by id
\c
SELECT * FROM leadstore.select_cms('lead-2', 'cms-wp');
SELECT * FROM leadstore.select_cms_if('lead-2', 'cms-wp', 'cms-aem');
SELECT * FROM leadstore.clear_cms_selection('lead-2');
SELECT * FROM leadstore.select_default_cms('lead-2');
SELECT * FROM leadstore.select_cms('lead-2', 'cms-wp', nowait => true);
SELECT * FROM leadstore.select_cms('lead-2', 'no-such-cms');
SELECT * FROM leadstore.select_cms('no-such-lead', 'cms-wp');
SELECT * FROM leadstore.select_cms('lead-2', 'cms-shopware');
BEGIN;
SELECT status AS began FROM leadstore.begin_deep_scan('lead-2');
SELECT status AS finished FROM leadstore.finish_deep_scan('lead-2');
SELECT deep_scan_status, deep_scan_started_at = now() AS started_now,
	   deep_scan_completed_at = now() AS completed_now,
	   updated_at = now() AS updated_now
FROM leads WHERE id = 'lead-2';
COMMIT;
-- (select_default_cms finds the default CMS by business unit: a statement)
SELECT * FROM lock_statements;

-- a row lock is a write: refused in a read-only transaction, in the words
-- the statement would use
BEGIN READ ONLY;
SELECT * FROM leadstore.select_cms('lead-2', 'cms-aem');
ROLLBACK;
BEGIN READ ONLY;
SELECT * FROM leadstore.begin_deep_scan('lead-2');
ROLLBACK;

-- row-level security enabled on leads: both rows through one statement
ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
\c
SELECT * FROM leadstore.select_cms('lead-2', 'cms-aem');
SELECT * FROM leadstore.select_cms('lead-2', 'no-such-cms');
SELECT * FROM leadstore.clear_cms_selection('lead-2');
SELECT * FROM lock_statements;
BEGIN READ ONLY;
SELECT * FROM leadstore.select_cms('lead-2', 'cms-aem');
ROLLBACK;
ALTER TABLE leads DISABLE ROW LEVEL SECURITY;

-- on technologies only: the lead by row_lock.c, the technology by statement
ALTER TABLE technologies ENABLE ROW LEVEL SECURITY;
\c
SELECT * FROM leadstore.select_cms('lead-2', 'cms-wp');
SELECT * FROM leadstore.select_cms('lead-2', 'fw-react');
SELECT * FROM lock_statements;
ALTER TABLE technologies DISABLE ROW LEVEL SECURITY;

-- privileges granted on columns only: the statements check them
CREATE ROLE regress_ls_columns;
GRANT USAGE ON SCHEMA leadstore TO regress_ls_columns;
GRANT SELECT (id, business_unit_id, selected_cms_id, deep_scan_status,
			  deep_scan_started_at, deep_scan_completed_at),
	  UPDATE (selected_cms_id, updated_at) ON leads TO regress_ls_columns;
GRANT SELECT (id, business_unit_id, category), UPDATE (name)
	ON technologies TO regress_ls_columns;
\c
SET ROLE regress_ls_columns;
SELECT * FROM leadstore.select_cms('lead-2', 'cms-aem');
RESET ROLE;
SELECT * FROM lock_statements;
-- without UPDATE on any column of technologies, FOR SHARE is refused
REVOKE UPDATE (name) ON technologies FROM regress_ls_columns;
SET ROLE regress_ls_columns;
SELECT * FROM leadstore.select_cms('lead-2', 'cms-wp');
RESET ROLE;
REVOKE ALL ON leads, technologies FROM regress_ls_columns;
REVOKE USAGE ON SCHEMA leadstore FROM regress_ls_columns;
DROP ROLE regress_ls_columns;

-- no primary key on leads.id (a unique constraint instead): statements
CREATE SCHEMA "No Key";
SET search_path = "No Key";
\set ECHO none
\i sql/leadstore_data_model.sql
\set ECHO all
ALTER TABLE leads DROP CONSTRAINT leads_pkey CASCADE;
ALTER TABLE leads ADD CONSTRAINT leads_id_key UNIQUE (id);
INSERT INTO business_units (id, name) VALUES ('bu-1', 'Digital');
INSERT INTO technologies (id, name, business_unit_id, category)
VALUES ('cms-1', 'A CMS', 'bu-1', 'CMS');
INSERT INTO rfps (id) VALUES ('rfp-k');
INSERT INTO leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('lead-k', 'rfp-k', 'bu-1', 'Keyless');
RESET search_path;
\c
SET leadstore.data_schema = 'No Key';
SELECT * FROM leadstore.select_cms('lead-k', 'cms-1');
SELECT * FROM lock_statements;
RESET leadstore.data_schema;
DROP SCHEMA "No Key" CASCADE;

-- the update without a statement does what an UPDATE does: CHECK
-- constraints, stored generated columns, index entries, foreign keys
\c
ALTER TABLE leads ADD CONSTRAINT regress_no_wp
	CHECK (selected_cms_id IS DISTINCT FROM 'cms-wp') NOT VALID;
\set VERBOSITY terse
SELECT * FROM leadstore.select_cms('lead-5', 'cms-wp');
\set VERBOSITY default
ALTER TABLE leads DROP CONSTRAINT regress_no_wp;
ALTER TABLE leads ADD COLUMN regress_cms_upper text
	GENERATED ALWAYS AS (upper(selected_cms_id)) STORED;
CREATE INDEX regress_leads_cms ON leads (selected_cms_id);
SELECT * FROM leadstore.select_cms('lead-5', 'cms-wp');
SELECT * FROM leadstore.select_cms('lead-5', 'cms-drupal');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF)
SELECT id, regress_cms_upper FROM leads WHERE selected_cms_id = 'cms-drupal';
SELECT id, regress_cms_upper FROM leads WHERE selected_cms_id = 'cms-drupal';
SELECT id FROM leads WHERE selected_cms_id = 'cms-wp';
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP INDEX regress_leads_cms;
ALTER TABLE leads DROP COLUMN regress_cms_upper;
-- the foreign keys' triggers run: with selected_cms_id referencing another
-- table, a CMS missing there is a foreign-key violation
CREATE TABLE regress_approved_cms (id text PRIMARY KEY);
INSERT INTO regress_approved_cms VALUES ('cms-aem');
ALTER TABLE leads DROP CONSTRAINT leads_selected_cms_id_fkey;
UPDATE leads SET selected_cms_id = NULL WHERE id = 'lead-5';
ALTER TABLE leads ADD CONSTRAINT regress_approved_fkey
	FOREIGN KEY (selected_cms_id) REFERENCES regress_approved_cms (id);
\c
SELECT * FROM leadstore.select_cms('lead-5', 'cms-wp');
SELECT * FROM leadstore.select_cms('lead-5', 'cms-aem');
SELECT * FROM leadstore.clear_cms_selection('lead-5');
ALTER TABLE leads DROP CONSTRAINT regress_approved_fkey;
DROP TABLE regress_approved_cms;
ALTER TABLE leads ADD CONSTRAINT leads_selected_cms_id_fkey
	FOREIGN KEY (selected_cms_id) REFERENCES technologies (id) ON DELETE SET NULL;
SELECT * FROM lock_statements;

-- a trigger of its own, or a rule, on leads: locked without a statement,
-- updated by one (so that statement triggers and rules apply)
CREATE FUNCTION regress_note_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE '% % trigger on %', TG_WHEN, TG_LEVEL, TG_TABLE_NAME;
	RETURN NULL;
END
$$;
CREATE TRIGGER regress_after_statement AFTER UPDATE ON leads
	FOR EACH STATEMENT EXECUTE FUNCTION regress_note_update();
\c
SELECT * FROM leadstore.select_cms('lead-5', 'cms-aem');
SELECT status FROM leadstore.begin_deep_scan('lead-5');
SELECT * FROM lock_statements;
DROP TRIGGER regress_after_statement ON leads;
CREATE RULE regress_notify AS ON UPDATE TO leads DO ALSO NOTIFY regress_leads;
\c
SELECT * FROM leadstore.select_cms('lead-5', 'cms-drupal');
SELECT * FROM lock_statements;
DROP RULE regress_notify ON leads;
DROP FUNCTION regress_note_update();

-- a lead kept in an inheritance child of leads: only a statement on leads
-- sees it
CREATE TABLE leads_archive () INHERITS (leads);
INSERT INTO leads_archive (id, rfp_id, business_unit_id, customer_name)
VALUES ('lead-archived', 'rfp-1', 'bu-1', 'Archived');
\c
SELECT * FROM leadstore.select_cms('lead-archived', 'cms-wp');
SELECT selected_cms_id FROM leads_archive WHERE id = 'lead-archived';
SELECT * FROM lock_statements;
DROP TABLE leads_archive;
VACUUM ANALYZE leads;	-- clears pg_class.relhassubclass

-- back to the shipped model: no statement again
\c
SELECT * FROM leadstore.select_cms('lead-2', 'cms-wp');
SELECT count(*) AS locking_statements FROM lock_statements;
SELECT relhassubclass FROM pg_class WHERE oid = 'leads'::regclass;

DROP VIEW lock_statements;
