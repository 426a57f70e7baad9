/* leadstore--0.2.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION leadstore" to load this file. \quit

--
-- Result types
--

CREATE TYPE leadstore.section_write AS (
	section_row_id	text,
	rfp_id			text,
	created			boolean,
	chunks_written	integer,
	chunks_replaced integer
);

COMMENT ON TYPE leadstore.section_write IS
'Result of leadstore.store_section_result: the lead_section_data row id, the lead''s rfp_id, whether the row was created (false: replaced), and the chunk rows written and deleted';

CREATE TYPE leadstore.chunk_write AS (
	rfp_id			text,
	lead_id			text,
	chunks_written	integer,
	chunks_replaced integer
);

COMMENT ON TYPE leadstore.chunk_write IS
'Result of leadstore.store_chunks: the RFP and lead of the chunks, and the chunk rows written and deleted';

CREATE TYPE leadstore.cms_selection AS (
	lead_id			text,
	previous_cms_id text,
	selected_cms_id text,
	changed			boolean
);

COMMENT ON TYPE leadstore.cms_selection IS
'Result of the CMS selection functions: the selection before and after the call, and whether the lead row was written';

CREATE TYPE leadstore.deep_scan_run AS (
	lead_id			text,
	status			text,
	started_at		timestamptz,
	completed_at	timestamptz,
	sections_stored integer,
	transitioned	boolean
);

COMMENT ON TYPE leadstore.deep_scan_run IS
'Result of begin_deep_scan/finish_deep_scan: the lead''s deep-scan state after the call, the sections stored since started_at, and whether the call changed the state';

--
-- Section results and their RAG chunks
--

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
-- CMS selection (lead row FOR NO KEY UPDATE, then technology row FOR SHARE)
--

CREATE FUNCTION leadstore.select_cms(
	lead_id		text,
	cms_id		text,
	nowait		boolean DEFAULT false)
RETURNS leadstore.cms_selection
AS 'MODULE_PATHNAME', 'leadstore_select_cms'
LANGUAGE C VOLATILE SECURITY INVOKER PARALLEL UNSAFE;

COMMENT ON FUNCTION leadstore.select_cms(text, text, boolean) IS
'Selects a CMS for a lead: locks the lead FOR NO KEY UPDATE and the technology FOR SHARE, checks it is a CMS of the lead''s business unit, then writes (nothing when unchanged). nowait: 55P03 instead of waiting.';

CREATE FUNCTION leadstore.select_cms_if(
	lead_id			text,
	expected_cms_id text,
	cms_id			text,
	nowait			boolean DEFAULT false)
RETURNS leadstore.cms_selection
AS 'MODULE_PATHNAME', 'leadstore_select_cms_if'
LANGUAGE C VOLATILE SECURITY INVOKER PARALLEL UNSAFE;

COMMENT ON FUNCTION leadstore.select_cms_if(text, text, text, boolean) IS
'Compare-and-set CMS selection: like select_cms, but writes only when the current selection IS NOT DISTINCT FROM expected_cms_id; otherwise returns changed = false and the current selection.';

CREATE FUNCTION leadstore.clear_cms_selection(
	lead_id		text,
	nowait		boolean DEFAULT false)
RETURNS leadstore.cms_selection
AS 'MODULE_PATHNAME', 'leadstore_clear_cms_selection'
LANGUAGE C VOLATILE SECURITY INVOKER PARALLEL UNSAFE;

COMMENT ON FUNCTION leadstore.clear_cms_selection(text, boolean) IS
'Clears a lead''s CMS selection under a FOR NO KEY UPDATE lock on the lead (nothing written when already clear).';

CREATE FUNCTION leadstore.select_default_cms(
	lead_id		text,
	nowait		boolean DEFAULT false)
RETURNS leadstore.cms_selection
AS 'MODULE_PATHNAME', 'leadstore_select_default_cms'
LANGUAGE C VOLATILE SECURITY INVOKER PARALLEL UNSAFE;

COMMENT ON FUNCTION leadstore.select_default_cms(text, boolean) IS
'When the lead has no CMS selected, selects its business unit''s default CMS (is_default and category CMS; smallest id among several); otherwise, or when there is none, writes nothing.';

--
-- Deep-scan runs
--

CREATE FUNCTION leadstore.begin_deep_scan(
	lead_id		text,
	stale_after interval DEFAULT '30 minutes')
RETURNS leadstore.deep_scan_run
AS 'MODULE_PATHNAME', 'leadstore_begin_deep_scan'
LANGUAGE C VOLATILE SECURITY INVOKER PARALLEL UNSAFE;

COMMENT ON FUNCTION leadstore.begin_deep_scan(text, interval) IS
'Moves a lead to deep_scan_status running under a FOR NO KEY UPDATE lock and clears deep_scan_error, unless a run younger than stale_after is already running (then writes nothing, transitioned = false). The started_at returned is the run token to pass to finish_deep_scan.';

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
