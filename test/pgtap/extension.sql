--
-- extension.sql
--		The extension installs functions and types only: it owns no
--		table, the reference data model is not part of it, and DROP EXTENSION
--		followed by CREATE EXTENSION leaves every data row in place, after
--		which the functions carry on with the stored data.
--
BEGIN;
SELECT plan(27);

-- Fixture, and data stored through the functions
INSERT INTO public.business_units (id, name) VALUES ('ext-bu', 'Extension BU');
INSERT INTO public.rfps (id, title) VALUES ('ext-rfp', 'Extension RFP');
INSERT INTO public.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('ext-lead', 'ext-rfp', 'ext-bu', 'Extension Customer');
INSERT INTO public.technologies (id, name, business_unit_id, category)
VALUES ('ext-cms', 'Extension CMS', 'ext-bu', 'CMS');

SELECT results_eq(
	$$SELECT created, chunks_written
	  FROM leadstore.store_section_result('ext-lead', 'scope', '{"s": 1}', 60,
	       '["a"]', '{scope chunk 0,scope chunk 1}', '{{0.5,1.5},{2.5,3.5}}')$$,
	$$VALUES (true, 2)$$,
	'setup: section "scope" stored with 2 chunks');
SELECT results_eq(
	$$SELECT created, chunks_written
	  FROM leadstore.store_section_result('ext-lead', 'team', '{"t": 1}', NULL,
	       NULL, '{team chunk}', '{9,9}', 'summary', 'team-agent')$$,
	$$VALUES (true, 1)$$,
	'setup: section "team" stored with 1 chunk');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('ext-rfp', 'ext-ingest', '{rfp chunk}', '{7,7}')$$,
	$$VALUES ('ext-rfp', NULL::text, 1, 0)$$,
	'setup: an RFP-level chunk stored with store_chunks');
SELECT results_eq($$SELECT changed FROM leadstore.select_cms('ext-lead', 'ext-cms')$$,
	$$VALUES (true)$$, 'setup: CMS selected');
SELECT results_eq($$SELECT status FROM leadstore.begin_deep_scan('ext-lead')$$,
	$$VALUES ('running')$$, 'setup: deep scan started');

-- Every row of the data model's tables, row versions included
CREATE TEMP VIEW data_now AS
	SELECT 'business_units' AS tbl, ctid::text AS row_ctid, xmin::text AS row_xmin, t::text AS row_text FROM public.business_units t
	UNION ALL SELECT 'rfps', ctid::text, xmin::text, t::text FROM public.rfps t
	UNION ALL SELECT 'leads', ctid::text, xmin::text, t::text FROM public.leads t
	UNION ALL SELECT 'technologies', ctid::text, xmin::text, t::text FROM public.technologies t
	UNION ALL SELECT 'lead_section_data', ctid::text, xmin::text, t::text FROM public.lead_section_data t
	UNION ALL SELECT 'rfp_embeddings', ctid::text, xmin::text, t::text FROM public.rfp_embeddings t;
CREATE TEMP TABLE data_before AS SELECT * FROM data_now;
CREATE TEMP VIEW counts_now AS
	SELECT tbl, count(*) AS n FROM data_now GROUP BY tbl;
CREATE TEMP TABLE counts_before AS SELECT * FROM counts_now;

-- The extension's members, as pg_describe_object names them
CREATE TEMP VIEW members_now AS
	SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS member
	FROM pg_catalog.pg_depend d
	JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid
	WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass
	  AND d.deptype = 'e' AND x.extname = 'leadstore'
	  -- PostgreSQL 18 records the result types' implicit array types too
	  AND NOT (d.classid = 'pg_catalog.pg_type'::regclass
	           AND EXISTS (SELECT 1 FROM pg_catalog.pg_type a WHERE a.typarray = d.objid));
CREATE TEMP VIEW member_relations_now AS
	SELECT c.oid::regclass::text AS relation, c.relkind::text AS relkind
	FROM pg_catalog.pg_depend d
	JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid
	JOIN pg_catalog.pg_class c ON c.oid = d.objid
	WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass
	  AND d.classid = 'pg_catalog.pg_class'::regclass
	  AND d.deptype = 'e' AND x.extname = 'leadstore';
-- Any dependency of a data-model object (table, its indexes, constraints,
-- row type) on any extension
CREATE TEMP VIEW model_extension_deps AS
	SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS object,
	       x.extname, d.deptype::text AS deptype
	FROM pg_catalog.pg_depend d
	JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid
	WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass
	  AND (   (d.classid = 'pg_catalog.pg_class'::regclass AND d.objid IN (
	             SELECT c.oid FROM pg_catalog.pg_class c
	             WHERE c.relnamespace = 'public'::regnamespace
	               AND (c.relname IN ('business_units', 'technologies', 'rfps', 'leads',
	                                  'lead_section_data', 'rfp_embeddings')
	                    OR c.oid IN (SELECT i.indexrelid FROM pg_catalog.pg_index i
	                                 WHERE i.indrelid IN ('public.business_units'::regclass,
	                                       'public.technologies'::regclass, 'public.rfps'::regclass,
	                                       'public.leads'::regclass, 'public.lead_section_data'::regclass,
	                                       'public.rfp_embeddings'::regclass)))))
	       OR (d.classid = 'pg_catalog.pg_constraint'::regclass AND d.objid IN (
	             SELECT oid FROM pg_catalog.pg_constraint
	             WHERE conrelid IN ('public.business_units'::regclass,
	                   'public.technologies'::regclass, 'public.rfps'::regclass,
	                   'public.leads'::regclass, 'public.lead_section_data'::regclass,
	                   'public.rfp_embeddings'::regclass)))
	       OR (d.classid = 'pg_catalog.pg_type'::regclass AND d.objid IN (
	             SELECT reltype FROM pg_catalog.pg_class
	             WHERE oid IN ('public.business_units'::regclass,
	                   'public.technologies'::regclass, 'public.rfps'::regclass,
	                   'public.leads'::regclass, 'public.lead_section_data'::regclass,
	                   'public.rfp_embeddings'::regclass))));

CREATE TEMP TABLE expected_members (member text);
INSERT INTO expected_members VALUES
	('type leadstore.section_write'),
	('type leadstore.cms_selection'),
	('type leadstore.deep_scan_run'),
	('type leadstore.chunk_write'),
	('function leadstore.store_section_result(text,text,jsonb,numeric,jsonb,text[],real[],text,text,bytea)'),
	('function leadstore.store_chunks(text,text,text[],real[],text,text,jsonb,bytea)'),
	('function leadstore.select_cms(text,text,boolean)'),
	('function leadstore.select_cms_if(text,text,text,boolean)'),
	('function leadstore.clear_cms_selection(text,boolean)'),
	('function leadstore.select_default_cms(text,boolean)'),
	('function leadstore.begin_deep_scan(text,interval)'),
	('function leadstore.finish_deep_scan(text,timestamp with time zone,text,text)'),
	('function leadstore.check_data_model()');

--
-- 1. What the extension is made of
--
SELECT results_eq(
	$$SELECT extnamespace::regnamespace::text, extrelocatable, extversion COLLATE "default"
	  FROM pg_catalog.pg_extension WHERE extname = 'leadstore'$$,
	$$VALUES ('leadstore', false, '0.2.0')$$,
	'leadstore 0.2.0 (the default version) is installed in schema leadstore and is not relocatable');
SELECT results_eq(
	$$SELECT version::text COLLATE "default" FROM pg_catalog.pg_available_extension_versions
	  WHERE name = 'leadstore' ORDER BY version$$,
	$$VALUES ('0.1.0'), ('0.2.0')$$,
	'the versions are 0.1.0 and 0.2.0 (the data model script is not read as a version)');
SELECT set_eq('SELECT member FROM members_now', 'SELECT member FROM expected_members',
	'the extension''s members are exactly its 4 result types and 9 functions');
SELECT is_empty('SELECT * FROM member_relations_now',
	'the extension owns no relation (no table, no view, no sequence)');
SELECT is_empty('SELECT * FROM model_extension_deps',
	'no data-model table, index, constraint or row type is an extension member or depends on an extension');
SELECT results_eq(
	$$SELECT t.typname::text COLLATE "default", a.attnum::int, a.attname::text COLLATE "default", pg_catalog.format_type(a.atttypid, a.atttypmod)
	  FROM pg_catalog.pg_type t
	  JOIN pg_catalog.pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
	  WHERE t.typnamespace = 'leadstore'::regnamespace
	  ORDER BY t.typname, a.attnum$$,
	$$VALUES
	  ('chunk_write', 1, 'rfp_id', 'text'),
	  ('chunk_write', 2, 'lead_id', 'text'),
	  ('chunk_write', 3, 'chunks_written', 'integer'),
	  ('chunk_write', 4, 'chunks_replaced', 'integer'),
	  ('cms_selection', 1, 'lead_id', 'text'),
	  ('cms_selection', 2, 'previous_cms_id', 'text'),
	  ('cms_selection', 3, 'selected_cms_id', 'text'),
	  ('cms_selection', 4, 'changed', 'boolean'),
	  ('deep_scan_run', 1, 'lead_id', 'text'),
	  ('deep_scan_run', 2, 'status', 'text'),
	  ('deep_scan_run', 3, 'started_at', 'timestamp with time zone'),
	  ('deep_scan_run', 4, 'completed_at', 'timestamp with time zone'),
	  ('deep_scan_run', 5, 'sections_stored', 'integer'),
	  ('deep_scan_run', 6, 'transitioned', 'boolean'),
	  ('section_write', 1, 'section_row_id', 'text'),
	  ('section_write', 2, 'rfp_id', 'text'),
	  ('section_write', 3, 'created', 'boolean'),
	  ('section_write', 4, 'chunks_written', 'integer'),
	  ('section_write', 5, 'chunks_replaced', 'integer')$$,
	'the result types have the documented columns, in order');

--
-- 2. DROP EXTENSION (no CASCADE) keeps every data row
--
SELECT lives_ok('DROP EXTENSION leadstore',
	'DROP EXTENSION leadstore succeeds without CASCADE: nothing of the data model depends on it');
SELECT hasnt_extension('leadstore', 'leadstore is no longer installed');
SELECT is_empty(
	$$SELECT 1 FROM pg_catalog.pg_proc WHERE pronamespace = 'leadstore'::regnamespace$$,
	'DROP EXTENSION removed the functions');
SELECT results_eq('SELECT tbl, n FROM counts_now ORDER BY tbl',
	'SELECT tbl, n FROM counts_before ORDER BY tbl',
	'after DROP EXTENSION every data-model table has the same number of rows');
SELECT set_eq('SELECT * FROM data_now', 'SELECT * FROM data_before',
	'after DROP EXTENSION every data row is in place with identical contents and row versions');
SELECT results_eq(
	$$SELECT section_id, chunk_index, content, embedding FROM public.rfp_embeddings
	  WHERE lead_id = 'ext-lead' ORDER BY section_id, chunk_index$$,
	$$VALUES ('scope', 0, 'scope chunk 0', '{0.5,1.5}'::real[]),
	         ('scope', 1, 'scope chunk 1', '{2.5,3.5}'::real[]),
	         ('team', 0, 'team chunk', '{9,9}'::real[])$$,
	'after DROP EXTENSION the chunks stored through the functions are there');

--
-- 3. CREATE EXTENSION again: the same rows, and the functions carry on
--
SELECT lives_ok('CREATE EXTENSION leadstore', 'CREATE EXTENSION leadstore succeeds again');
SELECT results_eq('SELECT tbl, n FROM counts_now ORDER BY tbl',
	'SELECT tbl, n FROM counts_before ORDER BY tbl',
	'after CREATE EXTENSION every data-model table has the same number of rows');
SELECT set_eq('SELECT * FROM data_now', 'SELECT * FROM data_before',
	'after CREATE EXTENSION every data row is in place with identical contents and row versions');
SELECT set_eq('SELECT member FROM members_now', 'SELECT member FROM expected_members',
	'after CREATE EXTENSION the members are again exactly 4 types and 9 functions');
SELECT is_empty('SELECT * FROM member_relations_now',
	'after CREATE EXTENSION the extension still owns no relation');
SELECT is_empty('SELECT * FROM model_extension_deps',
	'after CREATE EXTENSION no data-model object is an extension member');

SELECT results_eq(
	$$SELECT w.section_row_id, w.created, w.chunks_written, w.chunks_replaced
	  FROM leadstore.store_section_result('ext-lead', 'scope', '{"s": 2}', 61,
	       NULL, '{new scope chunk}', '{4,4}') w$$,
	$$SELECT id, false, 1, 2 FROM public.lead_section_data
	  WHERE lead_id = 'ext-lead' AND section_id = 'scope'$$,
	're-created extension: store_section_result finds the stored section and replaces its 2 chunks');
SELECT results_eq($$SELECT * FROM leadstore.select_cms('ext-lead', 'ext-cms')$$,
	$$VALUES ('ext-lead', 'ext-cms', 'ext-cms', false)$$,
	're-created extension: select_cms sees the CMS selected before the drop');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('ext-rfp', 'ext-ingest', '{new rfp chunk}', '{8,8}')$$,
	$$VALUES ('ext-rfp', NULL::text, 1, 1)$$,
	're-created extension: store_chunks replaces the RFP-level chunk stored before the drop');
SELECT results_eq(
	$$SELECT status, started_at, completed_at, sections_stored, transitioned
	  FROM leadstore.finish_deep_scan('ext-lead', now())$$,
	$$VALUES ('completed', now(), now(), 2, true)$$,
	're-created extension: finish_deep_scan with the run''s token finishes the run begun before the drop');

SELECT * FROM finish();
ROLLBACK;
