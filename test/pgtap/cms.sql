--
-- cms.sql
--		CMS selection over state: what select_cms, select_cms_if,
--		clear_cms_selection and select_default_cms return and write, that a
--		call changing nothing leaves no new row version, the row locks they
--		take, and the data model's ON DELETE SET NULL of
--		leads.selected_cms_id.
--
BEGIN;
SELECT plan(41);

CREATE EXTENSION pgrowlocks;	-- rolled back with the rest

-- Fixture.  Technology ids sort as their second letter says, so that "the
-- smallest id" is the same in every collation.
INSERT INTO public.business_units (id, name)
VALUES ('cms-bu-a', 'BU A'), ('cms-bu-b', 'BU B'), ('cms-bu-none', 'BU without default');
INSERT INTO public.technologies (id, name, business_unit_id, category, is_default)
VALUES
	('ct-0-other-bu-def', 'Default CMS of BU B', 'cms-bu-b', 'CMS', true),
	('ct-a-def-fw', 'Default framework of BU A', 'cms-bu-a', 'Framework', true),
	('ct-b-cms-plain', 'Plain CMS', 'cms-bu-a', 'CMS', false),
	('ct-b-lower-def', 'Default "cms" in lower case', 'cms-bu-a', 'cms', true),
	('ct-c-def-2', 'Default CMS 2', 'cms-bu-a', 'CMS', true),
	('ct-c-def-1', 'Default CMS 1', 'cms-bu-a', 'CMS', true),
	('ct-d-wp', 'WordPress', 'cms-bu-a', 'CMS', false),
	('ct-e-lock', 'CMS for the lock check', 'cms-bu-a', 'CMS', false),
	('ct-z-doomed', 'To be deleted', 'cms-bu-a', 'CMS', false),
	('ct-n-fw-default', 'Default framework of BU none', 'cms-bu-none', 'Framework', true),
	('ct-n-cms-plain', 'Non-default CMS of BU none', 'cms-bu-none', 'CMS', false);
INSERT INTO public.rfps (id, title) VALUES ('cms-rfp', 'CMS RFP');
INSERT INTO public.leads (id, rfp_id, business_unit_id, customer_name,
	deep_scan_status, deep_scan_started_at, deep_scan_completed_at,
	selected_cms_id, created_at, updated_at)
VALUES
	('cms-lead-1', 'cms-rfp', 'cms-bu-a', 'Customer 1', 'completed',
	 '2024-01-01 10:00+00', '2024-01-01 11:00+00', NULL, '2024-01-01', '2024-01-01'),
	('cms-lead-2', 'cms-rfp', 'cms-bu-a', 'Customer 2', 'pending', NULL, NULL, NULL, '2024-01-01', '2024-01-01'),
	('cms-lead-3', 'cms-rfp', 'cms-bu-a', 'Customer 3', 'pending', NULL, NULL, NULL, '2024-01-01', '2024-01-01'),
	('cms-lead-4', 'cms-rfp', 'cms-bu-a', 'Customer 4', 'pending', NULL, NULL, NULL, '2024-01-01', '2024-01-01'),
	('cms-lead-b', 'cms-rfp', 'cms-bu-b', 'Customer B', 'pending', NULL, NULL, NULL, '2024-01-01', '2024-01-01'),
	('cms-lead-none', 'cms-rfp', 'cms-bu-none', 'Customer none', 'pending', NULL, NULL, NULL, '2024-01-01', '2024-01-01'),
	('cms-lead-lock', 'cms-rfp', 'cms-bu-a', 'Customer lock', 'pending', NULL, NULL, 'ct-e-lock', '2024-01-01', '2024-01-01');

-- Every lead row with its version, and a place to keep them
CREATE TEMP VIEW lead_versions AS
	SELECT l.id, l.ctid::text AS row_ctid, l.xmin::text AS row_xmin, l::text AS row_text
	FROM public.leads l;
CREATE TEMP TABLE versions_before AS SELECT * FROM lead_versions;
-- age(): put a lead's updated_at back in the past (a new row version), then
-- remember every lead row as it is now
CREATE PROCEDURE pg_temp.age(lead text) LANGUAGE sql AS $$
	UPDATE public.leads SET updated_at = '2024-01-01' WHERE id = lead;
	DELETE FROM versions_before;
	INSERT INTO versions_before SELECT * FROM lead_versions;
$$;
-- A lead row minus selected_cms_id and updated_at, to see that nothing else moves
CREATE TEMP VIEW lead_rest AS
	SELECT id, rfp_id, business_unit_id, customer_name, deep_scan_status,
	       deep_scan_started_at, deep_scan_completed_at, created_at
	FROM public.leads;
CREATE TEMP TABLE rest_before AS SELECT * FROM lead_rest;

--
-- 1. select_cms
--
CALL pg_temp.age('cms-lead-1');
SELECT results_eq($$SELECT * FROM leadstore.select_cms('cms-lead-1', 'ct-b-cms-plain')$$,
	$$VALUES ('cms-lead-1', NULL::text, 'ct-b-cms-plain', true)$$,
	'select_cms on a lead without selection returns the change');
SELECT results_eq(
	$$SELECT selected_cms_id, updated_at FROM public.leads WHERE id = 'cms-lead-1'$$,
	$$VALUES ('ct-b-cms-plain', now())$$,
	'select_cms writes selected_cms_id and updated_at = now()');
SELECT results_eq('SELECT * FROM lead_versions WHERE id <> ''cms-lead-1'' ORDER BY id',
	'SELECT * FROM versions_before WHERE id <> ''cms-lead-1'' ORDER BY id',
	'select_cms writes no other lead');

CALL pg_temp.age('cms-lead-1');
SELECT results_eq($$SELECT * FROM leadstore.select_cms('cms-lead-1', 'ct-b-cms-plain')$$,
	$$VALUES ('cms-lead-1', 'ct-b-cms-plain', 'ct-b-cms-plain', false)$$,
	'select_cms of the current selection returns changed = false');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'select_cms of the current selection writes nothing: same ctid, xmin and updated_at');

SELECT results_eq(
	$$SELECT * FROM leadstore.select_cms(lead_id => 'cms-lead-1', cms_id => 'ct-d-wp', nowait => true)$$,
	$$VALUES ('cms-lead-1', 'ct-b-cms-plain', 'ct-d-wp', true)$$,
	'select_cms with nowait => true (no contention) changes the selection and reports the previous one');
SELECT results_eq(
	$$SELECT selected_cms_id, updated_at FROM public.leads WHERE id = 'cms-lead-1'$$,
	$$VALUES ('ct-d-wp', now())$$,
	'the change is written with updated_at = now()');
SELECT results_eq($$SELECT * FROM leadstore.select_cms('cms-lead-1', 'ct-c-def-2', NULL)$$,
	$$VALUES ('cms-lead-1', 'ct-d-wp', 'ct-c-def-2', true)$$,
	'select_cms with nowait => NULL behaves as the default');
SELECT set_eq('SELECT * FROM lead_rest', 'SELECT * FROM rest_before',
	'select_cms touched no other column of any lead (deep-scan state, customer, created_at)');

--
-- 2. select_cms_if: compare-and-set
--
CALL pg_temp.age('cms-lead-2');
SELECT results_eq($$SELECT * FROM leadstore.select_cms_if('cms-lead-2', NULL, 'ct-d-wp')$$,
	$$VALUES ('cms-lead-2', NULL::text, 'ct-d-wp', true)$$,
	'select_cms_if with NULL expected on a lead without selection changes it');
SELECT results_eq(
	$$SELECT selected_cms_id, updated_at FROM public.leads WHERE id = 'cms-lead-2'$$,
	$$VALUES ('ct-d-wp', now())$$,
	'select_cms_if writes selected_cms_id and updated_at = now()');

CALL pg_temp.age('cms-lead-2');
SELECT results_eq($$SELECT * FROM leadstore.select_cms_if('cms-lead-2', NULL, 'ct-b-cms-plain')$$,
	$$VALUES ('cms-lead-2', 'ct-d-wp', 'ct-d-wp', false)$$,
	'select_cms_if with NULL expected on a lead with a selection returns the current one, changed = false');
SELECT results_eq($$SELECT * FROM leadstore.select_cms_if('cms-lead-2', 'ct-c-def-1', 'ct-b-cms-plain')$$,
	$$VALUES ('cms-lead-2', 'ct-d-wp', 'ct-d-wp', false)$$,
	'select_cms_if with a stale expected value returns the current one, changed = false');
SELECT results_eq($$SELECT * FROM leadstore.select_cms_if('cms-lead-2', 'ct-d-wp', 'ct-d-wp')$$,
	$$VALUES ('cms-lead-2', 'ct-d-wp', 'ct-d-wp', false)$$,
	'select_cms_if expecting and choosing the current selection returns changed = false');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'the three select_cms_if calls without change wrote nothing: same ctid, xmin and updated_at');
SELECT results_eq($$SELECT * FROM leadstore.select_cms_if('cms-lead-2', 'ct-d-wp', 'ct-b-cms-plain')$$,
	$$VALUES ('cms-lead-2', 'ct-d-wp', 'ct-b-cms-plain', true)$$,
	'select_cms_if with the right expected value changes the selection');
SELECT results_eq(
	$$SELECT selected_cms_id, updated_at FROM public.leads WHERE id = 'cms-lead-2'$$,
	$$VALUES ('ct-b-cms-plain', now())$$,
	'the compare-and-set change is written with updated_at = now()');

--
-- 3. clear_cms_selection
--
CALL pg_temp.age('cms-lead-2');
SELECT results_eq($$SELECT * FROM leadstore.clear_cms_selection('cms-lead-2')$$,
	$$VALUES ('cms-lead-2', 'ct-b-cms-plain', NULL::text, true)$$,
	'clear_cms_selection returns the previous selection and changed = true');
SELECT results_eq(
	$$SELECT selected_cms_id, updated_at FROM public.leads WHERE id = 'cms-lead-2'$$,
	$$VALUES (NULL::text, now())$$,
	'clear_cms_selection sets selected_cms_id to NULL and updated_at = now()');
CALL pg_temp.age('cms-lead-2');
SELECT results_eq($$SELECT * FROM leadstore.clear_cms_selection('cms-lead-2', nowait => true)$$,
	$$VALUES ('cms-lead-2', NULL::text, NULL::text, false)$$,
	'clear_cms_selection of a lead without selection returns changed = false');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'clearing an empty selection writes nothing');

--
-- 4. select_default_cms
--
CALL pg_temp.age('cms-lead-3');
SELECT results_eq($$SELECT * FROM leadstore.select_default_cms('cms-lead-3')$$,
	$$VALUES ('cms-lead-3', NULL::text, 'ct-c-def-1', true)$$,
	'select_default_cms picks the smallest id among the business unit''s default CMSs (not a default framework, not category "cms", not a non-default CMS, not another unit''s default)');
SELECT results_eq(
	$$SELECT selected_cms_id, updated_at FROM public.leads WHERE id = 'cms-lead-3'$$,
	$$VALUES ('ct-c-def-1', now())$$,
	'select_default_cms writes selected_cms_id and updated_at = now()');
CALL pg_temp.age('cms-lead-3');
SELECT results_eq($$SELECT * FROM leadstore.select_default_cms('cms-lead-3')$$,
	$$VALUES ('cms-lead-3', 'ct-c-def-1', 'ct-c-def-1', false)$$,
	'select_default_cms again: already selected, changed = false');
SELECT results_eq($$SELECT * FROM leadstore.select_default_cms('cms-lead-1')$$,
	$$VALUES ('cms-lead-1', 'ct-c-def-2', 'ct-c-def-2', false)$$,
	'select_default_cms keeps another selection (ct-c-def-2, not the default ct-c-def-1)');
SELECT results_eq($$SELECT * FROM leadstore.select_default_cms('cms-lead-none', true)$$,
	$$VALUES ('cms-lead-none', NULL::text, NULL::text, false)$$,
	'select_default_cms without a default CMS in the business unit returns changed = false');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'the three select_default_cms calls without change wrote nothing');
SELECT results_eq($$SELECT * FROM leadstore.select_default_cms('cms-lead-b')$$,
	$$VALUES ('cms-lead-b', NULL::text, 'ct-0-other-bu-def', true)$$,
	'select_default_cms picks the default of the lead''s own business unit');
SELECT is((SELECT selected_cms_id FROM public.leads WHERE id = 'cms-lead-b'),
	'ct-0-other-bu-def', 'the default of business unit B is written');

-- a default CMS added later is picked by a later call
INSERT INTO public.technologies (id, name, business_unit_id, category, is_default)
VALUES ('ct-n-cms-def', 'Default CMS of BU none', 'cms-bu-none', 'CMS', true);
SELECT results_eq($$SELECT * FROM leadstore.select_default_cms('cms-lead-none')$$,
	$$VALUES ('cms-lead-none', NULL::text, 'ct-n-cms-def', true)$$,
	'select_default_cms picks a default CMS added since');

--
-- 5. Row locks: the lead FOR NO KEY UPDATE, the technology FOR SHARE
--
SELECT results_eq($$SELECT * FROM leadstore.select_cms('cms-lead-lock', 'ct-e-lock')$$,
	$$VALUES ('cms-lead-lock', 'ct-e-lock', 'ct-e-lock', false)$$,
	'select_cms of the current selection (for the lock check)');
SELECT results_eq(
	$$SELECT 'For No Key Update' = ANY (r.modes),
	         r.modes && '{"For Update",Update,"No Key Update"}'::text[]
	  FROM pgrowlocks('public.leads') r
	  JOIN public.leads l ON l.ctid = r.locked_row WHERE l.id = 'cms-lead-lock'$$,
	$$VALUES (true, false)$$,
	'select_cms locks the lead FOR NO KEY UPDATE (not FOR UPDATE: the foreign keys'' FOR KEY SHARE can go on)');
-- (the foreign key check of the fixture's insert holds KEY SHARE on
-- ct-e-lock too, so pgrowlocks may list both modes of this transaction)
SELECT ok(
	(SELECT r.modes && '{"For Share",Share}'::text[]
	 FROM pgrowlocks('public.technologies') r
	 JOIN public.technologies t ON t.ctid = r.locked_row WHERE t.id = 'ct-e-lock'),
	'select_cms locks the technology FOR SHARE');
SELECT is_empty(
	$$SELECT 1 FROM pgrowlocks('public.technologies') r
	  JOIN public.technologies t ON t.ctid = r.locked_row
	  WHERE t.id = 'ct-n-cms-plain'$$,
	'a technology no call chose is not locked');

--
-- 6. The data model: deleting the selected technology clears the selection
--
SELECT results_eq($$SELECT changed FROM leadstore.select_cms('cms-lead-4', 'ct-z-doomed')$$,
	$$VALUES (true)$$, 'setup: ct-z-doomed selected for cms-lead-4');
DELETE FROM public.technologies WHERE id = 'ct-z-doomed';
SELECT is((SELECT selected_cms_id FROM public.leads WHERE id = 'cms-lead-4'), NULL,
	'deleting the selected technology sets leads.selected_cms_id to NULL (ON DELETE SET NULL)');
SELECT results_eq($$SELECT * FROM leadstore.select_cms('cms-lead-4', 'ct-d-wp')$$,
	$$VALUES ('cms-lead-4', NULL::text, 'ct-d-wp', true)$$,
	'a later select_cms sees no previous selection');

--
-- 7. Other data schema: the same calls against a second copy of the model
--
CREATE SCHEMA cms_other;
SET LOCAL search_path = cms_other;
\ir ../../sql/leadstore_data_model.sql
RESET search_path;
INSERT INTO cms_other.business_units (id, name) VALUES ('cms-bu-a', 'Other BU A');
INSERT INTO cms_other.rfps (id) VALUES ('cms-rfp');
INSERT INTO cms_other.technologies (id, name, business_unit_id, category, is_default)
VALUES ('ct-other-cms', 'Other CMS', 'cms-bu-a', 'CMS', true);
INSERT INTO cms_other.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('cms-lead-1', 'cms-rfp', 'cms-bu-a', 'Other customer 1');
CALL pg_temp.age('cms-lead-1');
SET LOCAL leadstore.data_schema = 'cms_other';
SELECT results_eq($$SELECT * FROM leadstore.select_default_cms('cms-lead-1')$$,
	$$VALUES ('cms-lead-1', NULL::text, 'ct-other-cms', true)$$,
	'with leadstore.data_schema = cms_other, select_default_cms reads and writes cms_other');
SELECT throws_ok($$SELECT leadstore.select_cms('cms-lead-1', 'ct-d-wp')$$,
	'P0002', 'technology "ct-d-wp" does not exist',
	'with leadstore.data_schema = cms_other, public.technologies is not seen');
SET LOCAL leadstore.data_schema = 'public';
SELECT is((SELECT selected_cms_id FROM cms_other.leads WHERE id = 'cms-lead-1'), 'ct-other-cms',
	'cms_other.leads holds the selection');
SELECT results_eq('SELECT * FROM lead_versions ORDER BY id',
	'SELECT * FROM versions_before ORDER BY id',
	'public.leads was not written by the calls against cms_other');

SELECT * FROM finish();
ROLLBACK;
