--
-- plan_cache: the statements leadstore keeps are bounded.  They are kept
-- per (data_schema, table_names, column_names); at most 8 such sets live in
-- one backend, the least recently used freed first, so a pooled connection
-- serving thousands of tenants' schemas does not grow.  Memory is read from
-- pg_backend_memory_contexts; only booleans are printed, so that the
-- expected output does not depend on the platform's allocation sizes.
--
\set SHOW_CONTEXT never

--
-- 20,000 distinct data_schema values in one session, most of them for
-- schemas that do not exist (each call fails with 42P01, caught)
--

-- (the growth measured below includes PostgreSQL's own caches: looking a
-- missing schema up through the catalog cache would leave a negative entry
-- per name, so leadstore must not)
-- a few tenants that exist, among the missing ones
DO $$
BEGIN
	FOR i IN 1000..20000 BY 1000 LOOP
		EXECUTE format('CREATE SCHEMA %1$I;
			CREATE TABLE %1$I.leads (LIKE public.leads INCLUDING ALL);
			CREATE TABLE %1$I.lead_section_data (LIKE public.lead_section_data INCLUDING ALL)',
			'regress_tenant_' || i);
	END LOOP;
END
$$;

-- calls for tenants lo..hi: begin_deep_scan and store_section_result of a
-- lead that no tenant has
CREATE FUNCTION pg_temp.call_tenants(lo int, hi int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	missing_schema int := 0;
	missing_lead int := 0;
BEGIN
	FOR i IN lo..hi LOOP
		BEGIN
			PERFORM set_config('leadstore.data_schema', 'regress_tenant_' || i, true);
			PERFORM leadstore.begin_deep_scan('no-such-lead');
		EXCEPTION
			WHEN undefined_table THEN missing_schema := missing_schema + 1;
			WHEN no_data_found THEN missing_lead := missing_lead + 1;
		END;
		BEGIN
			PERFORM set_config('leadstore.data_schema', 'regress_tenant_' || i, true);
			PERFORM leadstore.store_section_result('no-such-lead', 'overview', '{}');
		EXCEPTION
			WHEN undefined_table THEN missing_schema := missing_schema + 1;
			WHEN no_data_found THEN missing_lead := missing_lead + 1;
		END;
	END LOOP;
	RETURN format('%s calls: %s missing schema, %s missing lead',
				  2 * (hi - lo + 1), missing_schema, missing_lead);
END
$$;

SELECT pg_temp.call_tenants(1, 1000);
SELECT sum(total_bytes) AS mem_1000 FROM pg_backend_memory_contexts \gset
SELECT pg_temp.call_tenants(1001, 20000);
SELECT sum(total_bytes) AS mem_20000 FROM pg_backend_memory_contexts \gset
-- 19,000 more names: the backend grew by less than 512 kB (27 bytes a name;
-- one kept entry per name would be several hundred)
SELECT :mem_20000 - :mem_1000 < 512 * 1024 AS memory_flat;
SHOW leadstore.data_schema;

-- the kept statements: at most 8 tenants have any
SELECT count(DISTINCT substring(ident FROM 'regress_tenant_[0-9]+')) <= 8 AS at_most_8_sets
FROM pg_backend_memory_contexts
WHERE name = 'CachedPlanSource' AND ident ~ 'regress_tenant_[0-9]+';

--
-- With schemas that exist: the least recently used set is freed first
--
\c
\set SHOW_CONTEXT never
CREATE VIEW kept_tenants AS
SELECT array_agg(DISTINCT substring(ident FROM 'regress_tenant_([0-9]+)')::int
				 ORDER BY substring(ident FROM 'regress_tenant_([0-9]+)')::int) AS tenants
FROM pg_backend_memory_contexts
WHERE name = 'CachedPlanSource' AND ident ~ 'regress_tenant_[0-9]+';
CREATE FUNCTION pg_temp.begin_in(tenant int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('leadstore.data_schema', 'regress_tenant_' || tenant, true);
	PERFORM leadstore.begin_deep_scan('no-such-lead');
	RETURN 'found';
EXCEPTION WHEN no_data_found THEN
	RETURN 'no lead';
END
$$;
-- ten tenants, one after the other: the last eight are kept
SELECT string_agg(pg_temp.begin_in(i * 1000), ', ' ORDER BY i) FROM generate_series(1, 10) i;
SELECT * FROM kept_tenants;
-- using tenant 3000 again makes 4000 the least recently used: 1000 comes
-- back in its place
SELECT pg_temp.begin_in(3000);
SELECT pg_temp.begin_in(1000);
SELECT * FROM kept_tenants;
-- a kept set is reused: calling a kept tenant again prepares nothing
SELECT count(*) AS plan_sources_before FROM pg_backend_memory_contexts
WHERE name = 'CachedPlanSource' AND ident ~ 'regress_tenant_[0-9]+' \gset
SELECT pg_temp.begin_in(10000);
SELECT count(*) = :plan_sources_before AS nothing_prepared FROM pg_backend_memory_contexts
WHERE name = 'CachedPlanSource' AND ident ~ 'regress_tenant_[0-9]+';
DROP VIEW kept_tenants;

--
-- A changed mapping is another set: the statements name the mapped table,
-- and changing back finds the first set kept
--
CREATE SCHEMA regress_map;
CREATE TABLE regress_map.leads (LIKE public.leads INCLUDING ALL);
CREATE TABLE regress_map.qualifications (LIKE public.leads INCLUDING ALL);
CREATE TABLE regress_map.lead_section_data (LIKE public.lead_section_data INCLUDING ALL);
INSERT INTO regress_map.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('in-leads', 'rfp-1', 'bu-1', 'In leads');
INSERT INTO regress_map.qualifications (id, rfp_id, business_unit_id, customer_name)
VALUES ('in-qualifications', 'rfp-1', 'bu-1', 'In qualifications');
CREATE VIEW map_tables AS
SELECT m[1] AS lead_table, count(*) AS plan_sources
FROM pg_backend_memory_contexts,
	 LATERAL regexp_match(ident, 'regress_map\."?(leads|qualifications)"? ') AS m
WHERE name = 'CachedPlanSource' AND m IS NOT NULL
GROUP BY 1 ORDER BY 1;
SET leadstore.data_schema = 'regress_map';
SELECT lead_id, status FROM leadstore.begin_deep_scan('in-leads');
SELECT * FROM map_tables;
SET leadstore.table_names = 'leads=qualifications';
SELECT lead_id, status FROM leadstore.begin_deep_scan('in-qualifications');
SELECT * FROM leadstore.begin_deep_scan('in-leads');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM map_tables;
-- back to no mapping: the first set, nothing prepared again
RESET leadstore.table_names;
SELECT lead_id, status FROM leadstore.finish_deep_scan('in-leads', outcome => 'completed');
SELECT * FROM map_tables;
SELECT id, deep_scan_status FROM regress_map.leads
UNION ALL SELECT id, deep_scan_status FROM regress_map.qualifications ORDER BY 1;
RESET leadstore.data_schema;

DROP VIEW map_tables;
DROP SCHEMA regress_map CASCADE;
SET client_min_messages = warning;
DO $$
BEGIN
	FOR i IN 1000..20000 BY 1000 LOOP
		EXECUTE format('DROP SCHEMA %I CASCADE', 'regress_tenant_' || i);
	END LOOP;
END
$$;
RESET client_min_messages;
