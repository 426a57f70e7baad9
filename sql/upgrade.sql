--
-- upgrade: ALTER EXTENSION leadstore UPDATE from 0.1.0.  Data written
-- through the 0.1.0 functions keeps working with every 0.2.0 function, and
-- the updated extension has exactly the objects of a fresh CREATE EXTENSION
-- leadstore VERSION '0.2.0': functions (identity, arguments with names and
-- defaults, result, language and symbol, volatility, strictness, security,
-- parallel safety, cost, settings, ACL, comment), types (attributes, ACL,
-- comment) and the member list.  Both descriptions are taken in this
-- database: the updated one is saved in a table, the extension dropped and
-- created fresh (the data tables are not members and survive), and the two
-- compared with EXCEPT both ways.
--
\set SHOW_CONTEXT never
\set VERBOSITY default

-- a description of every object in schema leadstore, one row each
CREATE TEMP VIEW extension_objects AS
SELECT 'function' AS kind, p.oid::regprocedure::text AS identity,
	   concat_ws(E'\n',
				 'arguments: ' || pg_get_function_arguments(p.oid),
				 'result: ' || pg_get_function_result(p.oid),
				 'kind: ' || p.prokind::text,
				 'language: ' || l.lanname,
				 'symbol: ' || p.prosrc,
				 'library: ' || coalesce(p.probin, '-'),
				 'volatility: ' || p.provolatile::text,
				 'strict: ' || p.proisstrict,
				 'security definer: ' || p.prosecdef,
				 'leakproof: ' || p.proleakproof,
				 'parallel: ' || p.proparallel::text,
				 'cost: ' || p.procost,
				 'rows: ' || p.prorows,
				 'settings: ' || coalesce(p.proconfig::text, '-'),
				 'owner: ' || pg_get_userbyid(p.proowner),
				 'acl: ' || coalesce(p.proacl::text, '-'),
				 'comment: ' || coalesce(obj_description(p.oid, 'pg_proc'), '-')) AS description
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'leadstore')
UNION ALL
SELECT 'type', t.oid::regtype::text,
	   concat_ws(E'\n',
				 'type: ' || t.typtype::text || ' ' || t.typcategory::text,
				 'attributes: ' || coalesce((
					SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
									  ' collation ' || a.attcollation::regcollation::text,
									  ', ' ORDER BY a.attnum)
					FROM pg_attribute a
					WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '-'),
				 'element of: ' || coalesce(nullif(t.typelem, 0)::regtype::text, '-'),
				 'owner: ' || pg_get_userbyid(t.typowner),
				 'acl: ' || coalesce(t.typacl::text, '-'),
				 'comment: ' || coalesce(obj_description(t.oid, 'pg_type'), '-'))
FROM pg_type t
WHERE t.typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'leadstore')
UNION ALL
SELECT 'member', pg_describe_object(d.classid, d.objid, d.objsubid), ''
FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'leadstore')
  AND NOT (d.classid = 'pg_type'::regclass
		   AND EXISTS (SELECT 1 FROM pg_type a WHERE a.typarray = d.objid))
UNION ALL
SELECT 'extension', e.extname,
	   concat_ws(E'\n',
				 'version: ' || e.extversion,
				 'schema: ' || e.extnamespace::regnamespace::text,
				 'relocatable: ' || e.extrelocatable,
				 'configuration: ' || coalesce(e.extconfig::text, '-'),
				 'comment: ' || coalesce(obj_description(e.oid, 'pg_extension'), '-'))
FROM pg_extension e WHERE e.extname = 'leadstore'
UNION ALL
SELECT 'relation', c.oid::regclass::text, c.relkind::text
FROM pg_class c
WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'leadstore')
  AND c.relkind <> 'c';

-- the versions this installation offers
SELECT version, installed FROM pg_available_extension_versions
WHERE name = 'leadstore' ORDER BY version;
SELECT source, target, path FROM pg_extension_update_paths('leadstore')
WHERE path IS NOT NULL ORDER BY 1, 2;

--
-- 0.1.0, on a data schema of its own
--
DROP EXTENSION leadstore;
CREATE EXTENSION leadstore VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'leadstore';
SELECT p.oid::regprocedure AS function_0_1_0 FROM pg_proc p
WHERE p.pronamespace = 'leadstore'::regnamespace ORDER BY p.oid::regprocedure::text COLLATE "C";

CREATE SCHEMA upgrade_data;
SET search_path = upgrade_data;
\set ECHO none
\i sql/leadstore_data_model.sql
\set ECHO all
RESET search_path;
INSERT INTO upgrade_data.business_units (id, name) VALUES ('bu-1', 'Digital');
INSERT INTO upgrade_data.technologies (id, name, business_unit_id, category, is_default) VALUES
	('cms-a', 'CMS A', 'bu-1', 'CMS', true), ('cms-b', 'CMS B', 'bu-1', 'CMS', false);
INSERT INTO upgrade_data.rfps (id) VALUES ('rfp-u');
INSERT INTO upgrade_data.leads (id, rfp_id, business_unit_id, customer_name) VALUES
	('lead-u1', 'rfp-u', 'bu-1', 'One'), ('lead-u2', 'rfp-u', 'bu-1', 'Two');
SET leadstore.data_schema = 'upgrade_data';

-- writes through every 0.1.0 function, with 0.1.0 arguments
SELECT rfp_id, created, chunks_written FROM leadstore.store_section_result('lead-u1',
	'overview', '{"v": 1}', 80, '["rfp.pdf"]', ARRAY['c0', 'c1'], '{{1,2},{3,4}}');
SELECT rfp_id, created, chunks_written FROM leadstore.store_section_result('lead-u1',
	'risks', '{"v": 1}', embeddings_packed => '\x0000803f', chunks => ARRAY['r0']);
SELECT * FROM leadstore.select_cms('lead-u1', 'cms-b');
SELECT * FROM leadstore.select_cms_if('lead-u1', 'cms-b', 'cms-a');
SELECT * FROM leadstore.clear_cms_selection('lead-u1');
SELECT * FROM leadstore.select_default_cms('lead-u1');
SELECT status, transitioned FROM leadstore.begin_deep_scan('lead-u1');
SELECT status, sections_stored FROM leadstore.finish_deep_scan('lead-u1');
-- a run begun under 0.1.0 and finished after the update
SELECT status, transitioned FROM leadstore.begin_deep_scan('lead-u2');
SELECT deep_scan_started_at AS u2_started FROM upgrade_data.leads WHERE id = 'lead-u2' \gset

--
-- the update
--
ALTER EXTENSION leadstore UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'leadstore';
-- no 0.1.0 signature is left beside the new one
SELECT p.oid::regprocedure AS function_0_2_0 FROM pg_proc p
WHERE p.pronamespace = 'leadstore'::regnamespace ORDER BY p.oid::regprocedure::text COLLATE "C";

-- the data written under 0.1.0 with every function
SELECT section_row_id = (SELECT id FROM upgrade_data.lead_section_data
						 WHERE lead_id = 'lead-u1' AND section_id = 'overview') AS same_row,
	   created, chunks_written, chunks_replaced
FROM leadstore.store_section_result('lead-u1', 'overview', '{"v": 2}', 80.5,
	'{"agentName": "overview-synth"}', ARRAY['n0'], '{5,6}');
SELECT section_id, content, confidence, sources FROM upgrade_data.lead_section_data
ORDER BY section_id;
SELECT * FROM leadstore.store_chunks(NULL, 'legal', ARRAY['l0'], '{7}', lead_id => 'lead-u1');
SELECT * FROM leadstore.select_cms_if('lead-u1', 'cms-a', 'cms-b');
SELECT * FROM leadstore.clear_cms_selection('lead-u1');
SELECT * FROM leadstore.select_default_cms('lead-u1');
SELECT * FROM leadstore.select_cms('lead-u1', 'cms-b');
SELECT status, sections_stored, transitioned
FROM leadstore.finish_deep_scan('lead-u2', :'u2_started', 'failed');
SELECT started_at AS token FROM leadstore.begin_deep_scan('lead-u1') \gset
SELECT status, sections_stored FROM leadstore.finish_deep_scan('lead-u1', :'token');
SELECT logical_name, status FROM leadstore.check_data_model() WHERE status <> 'ok';
SELECT lead_id, section_id, agent_name, chunk_index, content, embedding
FROM upgrade_data.rfp_embeddings ORDER BY agent_name, chunk_index;

-- the updated extension's description, kept in a table
CREATE TEMP TABLE updated_objects AS SELECT * FROM extension_objects;

--
-- a fresh 0.2.0 in the same database: identical
--
DROP EXTENSION leadstore;
CREATE EXTENSION leadstore VERSION '0.2.0';
CREATE TEMP TABLE fresh_objects AS SELECT * FROM extension_objects;
SELECT kind, count(*) FROM fresh_objects GROUP BY kind ORDER BY kind;
-- in the updated extension, not in the fresh one
SELECT * FROM updated_objects EXCEPT SELECT * FROM fresh_objects;
-- in the fresh extension, not in the updated one
SELECT * FROM fresh_objects EXCEPT SELECT * FROM updated_objects;
-- and the default version is 0.2.0
DROP EXTENSION leadstore;
CREATE EXTENSION leadstore;
SELECT extversion FROM pg_extension WHERE extname = 'leadstore';

-- the data survived both drops and still works
SELECT created, chunks_replaced FROM leadstore.store_section_result('lead-u1', 'overview', '{}');
SELECT status FROM leadstore.begin_deep_scan('lead-u2');

--
-- privileges across the update: the two functions whose arguments changed
-- are dropped and created again, so their grants must be given again; the
-- others keep theirs
--
DROP EXTENSION leadstore;
CREATE EXTENSION leadstore VERSION '0.1.0';
CREATE ROLE regress_ls_app;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA leadstore FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA leadstore TO regress_ls_app;
ALTER EXTENSION leadstore UPDATE;
SELECT p.oid::regprocedure AS function,
	   has_function_privilege('regress_ls_app', p.oid, 'EXECUTE') AS app_can_execute,
	   CASE WHEN p.proacl IS NULL THEN 'default: PUBLIC'
	   ELSE (SELECT string_agg(CASE a.grantee WHEN 0 THEN 'PUBLIC'
							   ELSE a.grantee::regrole::text END, ', ' ORDER BY 1)
			 FROM aclexplode(p.proacl) a WHERE a.grantee <> p.proowner) END AS granted_to
FROM pg_proc p WHERE p.pronamespace = 'leadstore'::regnamespace ORDER BY p.oid::regprocedure::text COLLATE "C";

DROP EXTENSION leadstore;
DROP ROLE regress_ls_app;
CREATE EXTENSION leadstore;
RESET leadstore.data_schema;
DROP SCHEMA upgrade_data CASCADE;
