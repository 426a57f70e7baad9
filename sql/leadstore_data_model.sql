--
-- leadstore_data_model.sql
--		The reference data model that the leadstore functions write to.
--
-- This is a plain script, not part of the extension: the tables belong to the
-- application and survive DROP EXTENSION, pg_dump/pg_restore and the
-- application's own migrations.  Every name is unqualified, so the tables land
-- in the first schema of the current search_path:
--
--		SET search_path = myschema;
--		\i leadstore_data_model.sql
--		ALTER DATABASE mydb SET leadstore.data_schema = 'myschema';
--
-- The tables may also be the application's own, under other names and with
-- other column types (leadstore.table_names, leadstore.column_names;
-- leadstore.check_data_model() says what fits).
--
-- Ids are text (the functions generate UUIDv7 text; the application's ORM
-- generates its own client-side), so no id column has a default.  The
-- functions set created_at/updated_at themselves and never rely on defaults.
--
-- Installed with the extension's files:
--		$(pg_config --sharedir)/extension/leadstore_data_model.sql
--

CREATE TABLE business_units (
	id			text PRIMARY KEY,
	name		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE technologies (
	id					text PRIMARY KEY,
	name				text NOT NULL,
	business_unit_id	text NOT NULL REFERENCES business_units (id),
	category			text,		-- 'CMS', 'Framework', ...; exactly 'CMS' counts
	is_default			boolean NOT NULL DEFAULT false,
	created_at			timestamptz NOT NULL DEFAULT now(),
	updated_at			timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX technologies_business_unit_id_idx
	ON technologies (business_unit_id);

CREATE TABLE rfps (
	id			text PRIMARY KEY,
	title		text,
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE leads (
	id						text PRIMARY KEY,
	rfp_id					text NOT NULL REFERENCES rfps (id),
	business_unit_id		text NOT NULL REFERENCES business_units (id),
	customer_name			text NOT NULL,
	deep_scan_status		text NOT NULL DEFAULT 'pending'
		CHECK (deep_scan_status IN ('pending', 'running', 'completed', 'failed')),
	deep_scan_started_at	timestamptz,
	deep_scan_completed_at	timestamptz,
	deep_scan_error			text,		-- optional: a failed run's error text
	selected_cms_id			text REFERENCES technologies (id) ON DELETE SET NULL,
	created_at				timestamptz NOT NULL DEFAULT now(),
	updated_at				timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX leads_rfp_id_idx ON leads (rfp_id);
CREATE INDEX leads_business_unit_id_idx ON leads (business_unit_id);
-- No index on selected_cms_id or the deep_scan_* columns: the CMS selection
-- and deep-scan functions update them often, and with none of the columns
-- they write indexed, those updates are HOT (no index insertions, less
-- bloat).  The price: deleting a technology (ON DELETE SET NULL) scans leads.

CREATE TABLE lead_section_data (
	id			text PRIMARY KEY,
	lead_id		text NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
	section_id	text NOT NULL,
	content		jsonb NOT NULL,
	confidence	integer CHECK (confidence BETWEEN 0 AND 100),
	sources		jsonb,			-- a JSON array or object, or NULL
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL,
	UNIQUE (lead_id, section_id)
);

CREATE TABLE rfp_embeddings (
	id			text PRIMARY KEY,
	rfp_id		text NOT NULL REFERENCES rfps (id) ON DELETE CASCADE,
	lead_id		text REFERENCES leads (id) ON DELETE CASCADE,	-- set for a lead's section chunks
	section_id	text,			-- set for a lead's section chunks
	agent_name	text NOT NULL,	-- 'deep-scan-' || section_id by default
	chunk_type	text NOT NULL,	-- 'analysis' by default
	chunk_index integer NOT NULL,	-- 0..n-1 within one section write
	content		text NOT NULL,
	metadata	jsonb,
	embedding	real[] NOT NULL,
	created_at	timestamptz NOT NULL
);

-- 3072 float4 do not compress: skip the pglz attempt, store out of line.
ALTER TABLE rfp_embeddings ALTER COLUMN embedding SET STORAGE EXTERNAL;

CREATE INDEX rfp_embeddings_lead_id_section_id_idx
	ON rfp_embeddings (lead_id, section_id);
CREATE INDEX rfp_embeddings_rfp_id_chunk_type_idx
	ON rfp_embeddings (rfp_id, chunk_type);
CREATE INDEX rfp_embeddings_rfp_id_agent_name_idx
	ON rfp_embeddings (rfp_id, agent_name);
