--
-- bench/sql/app_mapping.sql
--		Turns a seeded and preseeded benchmark database (reference data
--		model in public) into an application-shaped one, for the mapping
--		workload of bench/run:
--
--		psql -v types=0 -f bench/sql/app_mapping.sql
--
--		The tables move to schema app and take an application's names: the
--		lead is a "qualification", its RFP a "pre-qualification", the
--		section table qualification_section_data, the chunk table
--		deal_embeddings; the key columns lead_id and rfp_id become
--		qualification_id and pre_qualification_id.  With types=0 every
--		column keeps its type (only names differ from the reference model);
--		with types=1 every timestamptz becomes timestamp without time zone
--		(holding UTC) and the JSON columns (content, sources, metadata)
--		become text.  Rows, indexes and constraints are those of the
--		reference database.  The database gets leadstore.data_schema,
--		leadstore.table_names and leadstore.column_names (ALTER DATABASE,
--		effective in new sessions); the payload tables stay in public.
--

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE SCHEMA app;
ALTER TABLE business_units SET SCHEMA app;
ALTER TABLE technologies SET SCHEMA app;
ALTER TABLE rfps RENAME TO pre_qualifications;
ALTER TABLE pre_qualifications SET SCHEMA app;
ALTER TABLE leads RENAME TO qualifications;
ALTER TABLE qualifications SET SCHEMA app;
ALTER TABLE app.qualifications RENAME COLUMN rfp_id TO pre_qualification_id;
ALTER TABLE lead_section_data RENAME TO qualification_section_data;
ALTER TABLE qualification_section_data SET SCHEMA app;
ALTER TABLE app.qualification_section_data RENAME COLUMN lead_id TO qualification_id;
ALTER TABLE rfp_embeddings RENAME TO deal_embeddings;
ALTER TABLE deal_embeddings SET SCHEMA app;
ALTER TABLE app.deal_embeddings RENAME COLUMN lead_id TO qualification_id;
ALTER TABLE app.deal_embeddings RENAME COLUMN rfp_id TO pre_qualification_id;

\if :types
ALTER TABLE app.business_units
	ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC',
	ALTER COLUMN updated_at TYPE timestamp USING updated_at AT TIME ZONE 'UTC';
ALTER TABLE app.technologies
	ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC',
	ALTER COLUMN updated_at TYPE timestamp USING updated_at AT TIME ZONE 'UTC';
ALTER TABLE app.pre_qualifications
	ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC';
ALTER TABLE app.qualifications
	ALTER COLUMN deep_scan_started_at TYPE timestamp USING deep_scan_started_at AT TIME ZONE 'UTC',
	ALTER COLUMN deep_scan_completed_at TYPE timestamp USING deep_scan_completed_at AT TIME ZONE 'UTC',
	ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC',
	ALTER COLUMN updated_at TYPE timestamp USING updated_at AT TIME ZONE 'UTC';
ALTER TABLE app.qualification_section_data
	ALTER COLUMN content TYPE text USING content::text,
	ALTER COLUMN sources TYPE text USING sources::text,
	ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC',
	ALTER COLUMN updated_at TYPE timestamp USING updated_at AT TIME ZONE 'UTC';
ALTER TABLE app.deal_embeddings
	ALTER COLUMN metadata TYPE text USING metadata::text,
	ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC';
\endif

SELECT format('ALTER DATABASE %I SET leadstore.data_schema = %L', current_database(), 'app') \gexec
SELECT format('ALTER DATABASE %I SET leadstore.table_names = %L', current_database(),
			  'rfps=pre_qualifications, leads=qualifications, '
			  'lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings') \gexec
SELECT format('ALTER DATABASE %I SET leadstore.column_names = %L', current_database(),
			  'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, '
			  'rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id') \gexec

VACUUM ANALYZE;
