--
-- mapping: the settings leadstore.table_names and leadstore.column_names.
-- Both are checked when they are set (22023 naming the bad pair, the old
-- value kept); identifiers follow the rules of search_path (unquoted ones
-- are folded to lower case, double quotes keep case and may hold any
-- character); a change takes effect at the next call, for SET, SET LOCAL
-- and RESET alike.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
LOAD 'leadstore';

-- both are empty by default: every table and column has its logical name
SHOW leadstore.table_names;
SHOW leadstore.column_names;

--
-- leadstore.table_names: 'logical=actual, ...'
--

-- every logical table may be mapped; spaces around names and commas are
-- ignored
SET leadstore.table_names = 'business_units=units, technologies=techs, rfps=pre_qualifications, leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings';
SHOW leadstore.table_names;
SET leadstore.table_names = '  leads = qualifications ,rfp_embeddings=deal_embeddings  ';
-- unquoted names are folded to lower case, the logical ones too
SET leadstore.table_names = 'LEADS=Qualifications';
-- double quotes keep case, and may hold spaces, commas, equal signs, dots
-- and doubled double quotes
SET leadstore.table_names = 'leads="Qualifications", rfp_embeddings="deal embeddings, v2", lead_section_data="a=b.c""d"';
-- a quoted logical name is compared exactly
SET leadstore.table_names = '"leads"=qualifications';
-- the empty string, and only spaces, map nothing
SET leadstore.table_names = '';
SET leadstore.table_names = '   ';

-- each malformed value is refused and names the bad pair; the value set
-- before stays
SET leadstore.table_names = 'leads=qualifications';
SET leadstore.table_names = 'leads';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads=';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = '=qualifications';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads=qualifications=pitches';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads==qualifications';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads=my qualifications';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads=qualifications,';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = ',leads=qualifications';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads=qualifications,,rfps=pre_qualifications';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads=qualifications rfps=pre_qualifications';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads="qualifications';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads=""';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads="a"b';
\echo :LAST_ERROR_SQLSTATE
-- a table name, not a schema-qualified one: the schema is
-- leadstore.data_schema
SET leadstore.table_names = 'leads=app.qualifications';
\echo :LAST_ERROR_SQLSTATE
-- unknown logical tables, also the case-sensitive spelling of a known one
-- and a column's name
SET leadstore.table_names = 'leads=qualifications, qualifications=leads';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = '"Leads"=qualifications';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads.id=qualification_id';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'lead=qualifications';
\echo :LAST_ERROR_SQLSTATE
-- a logical table mapped twice, also in two spellings
SET leadstore.table_names = 'leads=qualifications, leads=pitches';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads=qualifications, rfps=x, LEADS=qualifications';
\echo :LAST_ERROR_SQLSTATE
SHOW leadstore.table_names;
-- set_config() is checked the same way
SELECT set_config('leadstore.table_names', 'leads', false);
\echo :LAST_ERROR_SQLSTATE
SHOW leadstore.table_names;
RESET leadstore.table_names;

--
-- leadstore.column_names: 'table.column=actual, ...' with the logical table
-- and column names (a mapped table keeps its logical name here)
--
SET leadstore.column_names = 'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id';
SHOW leadstore.column_names;
SET leadstore.column_names = ' LEADS.RFP_ID = Pre_Qualification_Id ';
SET leadstore.column_names = 'leads."rfp_id"="preQualificationId", rfp_embeddings.embedding="Embedding, 3072"';
-- every logical column of the tables leadstore reads or writes
SET leadstore.column_names = 'technologies.id=a, technologies.business_unit_id=b, technologies.category=c, technologies.is_default=d, leads.id=e, leads.rfp_id=f, leads.business_unit_id=g, leads.selected_cms_id=h, leads.deep_scan_status=i, leads.deep_scan_started_at=j, leads.deep_scan_completed_at=k, leads.deep_scan_error=l, leads.updated_at=m';
SET leadstore.column_names = 'lead_section_data.id=a, lead_section_data.lead_id=b, lead_section_data.section_id=c, lead_section_data.content=d, lead_section_data.confidence=e, lead_section_data.sources=f, lead_section_data.created_at=g, lead_section_data.updated_at=h';
SET leadstore.column_names = 'rfp_embeddings.id=a, rfp_embeddings.rfp_id=b, rfp_embeddings.lead_id=c, rfp_embeddings.section_id=d, rfp_embeddings.agent_name=e, rfp_embeddings.chunk_type=f, rfp_embeddings.chunk_index=g, rfp_embeddings.content=h, rfp_embeddings.metadata=i, rfp_embeddings.embedding=j, rfp_embeddings.created_at=k';
SET leadstore.column_names = '';

-- malformed values and unknown names are refused, naming the bad pair
SET leadstore.column_names = 'leads.rfp_id=pre_qualification_id';
SET leadstore.column_names = 'rfp_id=pre_qualification_id';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads.=pre_qualification_id';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = '.rfp_id=pre_qualification_id';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads.rfp_id.x=pre_qualification_id';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads.rfp_id';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads.rfp_id=';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads.rfp_id=a b';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads.rfp_id=a,';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads.rfp_id="a';
\echo :LAST_ERROR_SQLSTATE
-- unknown logical table (an actual name is not a logical one) or column
SET leadstore.column_names = 'qualifications.rfp_id=pre_qualification_id';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads.pre_qualification_id=rfp_id';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads.lead_id=qualification_id';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads."RFP_ID"=pre_qualification_id';
\echo :LAST_ERROR_SQLSTATE
-- a logical column mapped twice, also in two spellings
SET leadstore.column_names = 'leads.rfp_id=a, leads.rfp_id=b';
\echo :LAST_ERROR_SQLSTATE
SET leadstore.column_names = 'leads.rfp_id=a, Leads.Rfp_Id=a';
\echo :LAST_ERROR_SQLSTATE
-- the same column name in two tables is two logical columns
SET leadstore.column_names = 'lead_section_data.lead_id=q, rfp_embeddings.lead_id=q';
SHOW leadstore.column_names;
RESET leadstore.column_names;

-- ALTER DATABASE ... SET checks the value too
DO $$ BEGIN
	EXECUTE format('ALTER DATABASE %I SET leadstore.table_names = %L',
				   current_database(), 'leads=');
END $$;
\echo :LAST_ERROR_SQLSTATE
DO $$ BEGIN
	EXECUTE format('ALTER DATABASE %I SET leadstore.column_names = %L',
				   current_database(), 'leads.nope=x');
END $$;
\echo :LAST_ERROR_SQLSTATE

--
-- A change takes effect at the next call.  Schema "Mapped" holds the
-- reference model with its own names: leads is "Qualifications", the
-- section table qualification_section_data, the chunk table deal_embeddings;
-- lead_id is qualification_id in both, rfp_id pre_qualification_id in leads
-- and deal_embeddings.
--
CREATE SCHEMA "Mapped";
SET search_path = "Mapped";
\set ECHO none
\i sql/leadstore_data_model.sql
\set ECHO all
RESET search_path;
ALTER TABLE "Mapped".leads RENAME TO "Qualifications";
ALTER TABLE "Mapped"."Qualifications" RENAME rfp_id TO pre_qualification_id;
ALTER TABLE "Mapped".lead_section_data RENAME TO qualification_section_data;
ALTER TABLE "Mapped".qualification_section_data RENAME lead_id TO qualification_id;
ALTER TABLE "Mapped".rfp_embeddings RENAME TO deal_embeddings;
ALTER TABLE "Mapped".deal_embeddings RENAME lead_id TO qualification_id;
ALTER TABLE "Mapped".deal_embeddings RENAME rfp_id TO pre_qualification_id;
INSERT INTO "Mapped".business_units (id, name) VALUES ('bu-m', 'Mapped');
INSERT INTO "Mapped".technologies (id, name, business_unit_id, category)
VALUES ('cms-m', 'Mapped CMS', 'bu-m', 'CMS');
INSERT INTO "Mapped".rfps (id) VALUES ('rfp-m');
INSERT INTO "Mapped"."Qualifications" (id, pre_qualification_id, business_unit_id, customer_name)
VALUES ('q-1', 'rfp-m', 'bu-m', 'Mapped customer');

-- without a mapping: the logical name is looked for, and not found
SET leadstore.data_schema = 'Mapped';
SELECT * FROM leadstore.select_cms('q-1', 'cms-m');
\echo :LAST_ERROR_SQLSTATE
-- the table mapped, its column not yet: the error names the actual table
-- and the logical name it stands for
SET leadstore.table_names = 'leads="Qualifications"';
SELECT * FROM leadstore.begin_deep_scan('q-1');
\echo :LAST_ERROR_SQLSTATE
-- a mapping to a table that does not exist names it, and the logical name
SET leadstore.table_names = 'leads=qualifications';
SELECT * FROM leadstore.select_cms('q-1', 'cms-m');
\echo :LAST_ERROR_SQLSTATE
-- a column mapped to a column that does not exist
SET leadstore.table_names = 'leads="Qualifications"';
SET leadstore.column_names = 'leads.rfp_id=pre_qualification';
SELECT * FROM leadstore.select_cms('q-1', 'cms-m');
\echo :LAST_ERROR_SQLSTATE

-- the full mapping: every function works on the mapped tables
SET leadstore.table_names = 'leads="Qualifications", lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings';
SET leadstore.column_names = 'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id';
SELECT rfp_id, created, chunks_written FROM leadstore.store_section_result('q-1',
	'overview', '{"mapped": true}', chunks => ARRAY['m0', 'm1'],
	embeddings => '{{1,2},{3,4}}');
SELECT * FROM leadstore.store_chunks(NULL, 'legal', ARRAY['l0'], '{5,6}',
	lead_id => 'q-1');
SELECT * FROM leadstore.select_cms('q-1', 'cms-m');
SELECT status, transitioned FROM leadstore.begin_deep_scan('q-1');
SELECT status, sections_stored FROM leadstore.finish_deep_scan('q-1');
SELECT qualification_id, section_id, content FROM "Mapped".qualification_section_data;
SELECT pre_qualification_id, qualification_id, section_id, agent_name,
	   chunk_index, content, embedding
FROM "Mapped".deal_embeddings ORDER BY agent_name, chunk_index;
SELECT id, selected_cms_id, deep_scan_status FROM "Mapped"."Qualifications";

-- RESET: the next call uses the logical names again
RESET leadstore.table_names;
SELECT * FROM leadstore.clear_cms_selection('q-1');
\echo :LAST_ERROR_SQLSTATE
SET leadstore.table_names = 'leads="Qualifications", lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings';
SELECT * FROM leadstore.clear_cms_selection('q-1');

-- SET LOCAL: the mapping holds until the end of the transaction, also when
-- the same backend called with another mapping before
RESET leadstore.table_names;
RESET leadstore.column_names;
BEGIN;
SET LOCAL leadstore.table_names = 'leads="Qualifications", lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings';
SET LOCAL leadstore.column_names = 'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id';
SELECT * FROM leadstore.select_cms('q-1', 'cms-m');
COMMIT;
SHOW leadstore.table_names;
SELECT * FROM leadstore.select_cms('q-1', 'cms-m');
\echo :LAST_ERROR_SQLSTATE
-- a mapping changed inside a transaction, between two calls
BEGIN;
SET LOCAL leadstore.table_names = 'leads="Qualifications"';
SET LOCAL leadstore.column_names = 'leads.rfp_id=pre_qualification_id';
SELECT * FROM leadstore.select_cms_if('q-1', 'cms-m', 'cms-m');
SET LOCAL leadstore.table_names = 'leads=qualifications';
SELECT * FROM leadstore.select_cms_if('q-1', 'cms-m', 'cms-m');
ROLLBACK;
-- back in the reference schema, with no mapping, the reference tables
RESET leadstore.data_schema;
SELECT lead_id, selected_cms_id FROM leadstore.select_cms_if('lead-1',
	(SELECT selected_cms_id FROM leads WHERE id = 'lead-1'),
	(SELECT selected_cms_id FROM leads WHERE id = 'lead-1'));

-- a malformed value set before the library is loaded (a placeholder) is
-- refused when leadstore loads: a warning, and the setting stays empty
\c
\set SHOW_CONTEXT never
\set VERBOSITY default
SET leadstore.table_names = 'leads';
SELECT lead_id, changed FROM leadstore.clear_cms_selection('lead-4');
SHOW leadstore.table_names;

DROP SCHEMA "Mapped" CASCADE;
