/* leadstore--0.1.0--0.2.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION leadstore UPDATE TO '0.2.0'" to load this file. \quit

--
-- store_section_result: confidence is numeric now (rounded, then 0..100).
-- A changed argument type is a new function to PostgreSQL: drop the old one
-- rather than leave an overload behind.  Grants on it must be made again.
--

DROP FUNCTION leadstore.store_section_result(text, text, jsonb, integer, jsonb, text[], real[], text, text, bytea);

CREATE FUNCTION leadstore.store_section_result(
	lead_id				text,
	section_id			text,
	content				jsonb,
	confidence			numeric DEFAULT NULL,
	sources				jsonb DEFAULT NULL,
	chunks				text[] DEFAULT NULL,
	embeddings			real[] DEFAULT NULL,
	chunk_type			text DEFAULT 'analysis',
	agent_name			text DEFAULT NULL,
	embeddings_packed	bytea DEFAULT NULL)
RETURNS leadstore.section_write
AS 'MODULE_PATHNAME', 'leadstore_store_section_result'
LANGUAGE C VOLATILE SECURITY INVOKER PARALLEL UNSAFE;

COMMENT ON FUNCTION leadstore.store_section_result(text, text, jsonb, numeric, jsonb, text[], real[], text, text, bytea) IS
'Atomically upserts the section row for (lead_id, section_id) and replaces the section''s chunks; confidence is rounded half away from zero, then 0..100; sources a JSON array or object; embeddings as an n x d real[] or as packed little-endian float32 bytea (embeddings_packed). Needs SELECT on leads, SELECT/INSERT/UPDATE on lead_section_data, SELECT/INSERT/DELETE on rfp_embeddings (or the tables they are mapped to).';

--
-- store_chunks: an agent's chunks outside sections
--

CREATE TYPE leadstore.chunk_write AS (
	rfp_id			text,
	lead_id			text,
	chunks_written	integer,
	chunks_replaced integer
);

COMMENT ON TYPE leadstore.chunk_write IS
'Result of leadstore.store_chunks: the RFP and lead of the chunks, and the chunk rows written and deleted';

CREATE FUNCTION leadstore.store_chunks(
	rfp_id				text,
	agent_name			text,
	chunks				text[],
	embeddings			real[] DEFAULT NULL,
	lead_id				text DEFAULT NULL,
	chunk_type			text DEFAULT 'analysis',
	metadata			jsonb DEFAULT NULL,
	embeddings_packed	bytea DEFAULT NULL)
RETURNS leadstore.chunk_write
AS 'MODULE_PATHNAME', 'leadstore_store_chunks'
LANGUAGE C VOLATILE SECURITY INVOKER PARALLEL UNSAFE;

COMMENT ON FUNCTION leadstore.store_chunks(text, text, text[], real[], text, text, jsonb, bytea) IS
'Atomically replaces the chunks of one agent for one RFP and lead (NULL lead: RFP-level) that belong to no section; rfp_id NULL takes the lead''s. Calls for the same key serialize on an advisory transaction lock. Needs SELECT on leads (with lead_id), SELECT/INSERT/DELETE on rfp_embeddings (or the table it is mapped to).';

--
-- begin_deep_scan clears deep_scan_error and hands out the run token
--

COMMENT ON FUNCTION leadstore.begin_deep_scan(text, interval) IS
'Moves a lead to deep_scan_status running under a FOR NO KEY UPDATE lock and clears deep_scan_error, unless a run younger than stale_after is already running (then writes nothing, transitioned = false). The started_at returned is the run token to pass to finish_deep_scan.';

--
-- finish_deep_scan: the run token, outcome and error arguments
--

DROP FUNCTION leadstore.finish_deep_scan(text);

CREATE FUNCTION leadstore.finish_deep_scan(
	lead_id		text,
	started_at	timestamptz DEFAULT NULL,
	outcome		text DEFAULT NULL,
	error		text DEFAULT NULL)
RETURNS leadstore.deep_scan_run
AS 'MODULE_PATHNAME', 'leadstore_finish_deep_scan'
LANGUAGE C VOLATILE SECURITY INVOKER PARALLEL UNSAFE;

COMMENT ON FUNCTION leadstore.finish_deep_scan(text, timestamptz, text, text) IS
'Ends a running deep scan under a FOR NO KEY UPDATE lock on the lead. started_at: the run token begin_deep_scan returned (55000 when that run is no longer the current one). outcome: completed or failed as given; NULL: completed when at least one section was stored since started_at, failed otherwise. error: stored in deep_scan_error. 55000 when the lead is not running.';

--
-- The data model
--

CREATE FUNCTION leadstore.check_data_model(
	OUT logical_name	text,
	OUT actual_name		text,
	OUT status			text,
	OUT detail			text,
	OUT fix				text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'leadstore_check_data_model'
LANGUAGE C VOLATILE SECURITY INVOKER PARALLEL UNSAFE;

COMMENT ON FUNCTION leadstore.check_data_model() IS
'Lists every table, column, unique key and index leadstore uses under the current settings (leadstore.data_schema, table_names, column_names), with status ok, missing, type, constraint or index, and the SQL that fixes each problem. Reads the catalogs only.';
