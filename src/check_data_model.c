/*-------------------------------------------------------------------------
 *
 * check_data_model.c
 *	  leadstore.check_data_model(): every table, column, unique key and
 *	  index leadstore needs, under the current settings, what was found,
 *	  and the SQL that fixes each problem.
 *
 * The function reads the catalogs only (no privilege on the tables is
 * needed) and never raises an error for what it finds: the calls raise
 * those (model.c), with the same rules.  Rows come table by table, each
 * table's row first, then its columns, then its keys and indexes, so that
 * running every fix in row order (psql: SELECT fix ... \gexec) works: a
 * created table before its columns, columns before indexes on them.
 *
 * IDENTIFICATION
 *	  src/check_data_model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "leadstore.h"
#include "model.h"

/* The index on the chunk table that each lookup needs */
typedef struct LsIndexNeed
{
	LsColumnId	a1;
	LsColumnId	a2;
	const char *what;
} LsIndexNeed;

static const LsIndexNeed chunk_indexes[] = {
	{LS_COL_EMB_LEAD_ID, LS_COL_EMB_SECTION_ID,
	"finds a section's chunks to replace them"},
	{LS_COL_EMB_RFP_ID, LS_COL_EMB_AGENT_NAME,
	"finds an agent's chunks for store_chunks"},
};

/* The state of one call: the output and the settings' names */
typedef struct CheckState
{
	ReturnSetInfo *rsinfo;
	LsModel		model;			/* names only; relids found here */
	Oid			nspid;
} CheckState;

/*
 * emit -- one result row; detail and fix may be NULL
 */
static void
emit(CheckState *st, const char *logical, const char *actual,
	 const char *status, const char *detail, const char *fix)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	values[0] = CStringGetTextDatum(logical);
	values[1] = CStringGetTextDatum(actual);
	values[2] = CStringGetTextDatum(status);
	values[3] = detail ? CStringGetTextDatum(detail) : (Datum) 0;
	nulls[3] = detail == NULL;
	values[4] = fix ? CStringGetTextDatum(fix) : (Datum) 0;
	nulls[4] = fix == NULL;
	tuplestore_putvalues(st->rsinfo->setResult, st->rsinfo->setDesc,
						 values, nulls);
}

/* the reference model's type of a kind of value */
static Oid
kind_type(LsValueKind kind)
{
	switch (kind)
	{
		case LS_VALUE_TEXT:
			return TEXTOID;
		case LS_VALUE_TIMESTAMP:
			return TIMESTAMPTZOID;
		case LS_VALUE_JSON:
			return JSONBOID;
		case LS_VALUE_INT:
			return INT4OID;
		case LS_VALUE_BOOL:
			return BOOLOID;
		default:
			return FLOAT4ARRAYOID;
	}
}

/* the column definition a fix adds */
static char *
column_definition(LsColumnId c, const char *name)
{
	const LsColumnDef *def = &ls_columns[c];

	return psprintf("%s %s%s", quote_identifier(name), def->ref_type,
					def->value == LS_VALUE_BOOL ? " NOT NULL DEFAULT false" : "");
}

/* the table's quoted, schema-qualified name */
static char *
qtable(CheckState *st, LsTable t)
{
	return quote_qualified_identifier(st->model.schema, st->model.tables[t]);
}

/*
 * create_table_sql -- a table with the columns leadstore uses of it, its id
 *		the primary key (keys and indexes come from their own rows)
 */
static char *
create_table_sql(CheckState *st, LsTable t)
{
	StringInfoData buf;
	int			c;
	bool		first = true;

	initStringInfo(&buf);
	if (!OidIsValid(st->nspid))
		appendStringInfo(&buf, "CREATE SCHEMA IF NOT EXISTS %s; ",
						 quote_identifier(st->model.schema));
	appendStringInfo(&buf, "CREATE TABLE %s (", qtable(st, t));
	for (c = 0; c < LS_NUM_COLUMNS; c++)
	{
		if (ls_columns[c].table != t)
			continue;
		appendStringInfo(&buf, "%s%s%s", first ? "" : ", ",
						 column_definition(c, st->model.columns[c].name),
						 strcmp(ls_columns[c].name, "id") == 0 ?
						 " PRIMARY KEY" : "");
		first = false;
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * check_column -- the row of one column; *attnum is set when it exists
 */
static void
check_column(CheckState *st, LsColumnId c, Oid relid, AttrNumber *attnum)
{
	const LsColumnDef *def = &ls_columns[c];
	const char *name = st->model.columns[c].name;
	char	   *logical = (char *) ls_logical_column_name(c);
	char	   *actual = psprintf("%s.%s",
								  quote_identifier(st->model.tables[def->table]),
								  quote_identifier(name));
	char	   *add = psprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s",
							   qtable(st, def->table),
							   column_definition(c, name));
	LsResolvedColumn rc;
	Oid			type;
	int32		typmod;
	Oid			collation;
	const char *needs;

	*attnum = OidIsValid(relid) ? get_attnum(relid, name) : InvalidAttrNumber;
	if (*attnum == InvalidAttrNumber || *attnum < 0)
	{
		*attnum = InvalidAttrNumber;
		if (def->use & LS_USE_OPTIONAL)
			emit(st, logical, actual, "ok",
				 psprintf("optional column, not present: without it finish_deep_scan cannot store a failed run's error text; add it with: %s",
						  add), NULL);
		else if (c == LS_COL_EMB_LEAD_ID || c == LS_COL_EMB_SECTION_ID)
			emit(st, logical, actual, "missing",
				 psprintf("column %s does not exist; a section's chunks are found by lead and section.  Backfill existing section chunks after adding it, e.g. from their metadata: UPDATE %s SET %s = (%s::jsonb)->>'%s' WHERE %s IS NULL",
						  quote_identifier(name), qtable(st, def->table), quote_identifier(name),
						  quote_identifier(st->model.columns[LS_COL_EMB_METADATA].name),
						  c == LS_COL_EMB_LEAD_ID ? "leadId" : "sectionId",
						  quote_identifier(name)),
				 add);
		else
			emit(st, logical, actual, "missing",
				 OidIsValid(relid) ?
				 psprintf("column %s does not exist", quote_identifier(name)) :
				 psprintf("table %s does not exist", qtable(st, def->table)),
				 add);
		return;
	}

	get_atttypetypmodcoll(relid, *attnum, &type, &typmod, &collation);
	needs = ls_column_problem(def, type, &rc);
	if (needs != NULL)
	{
		Oid			target = kind_type(def->value);
		const char *cast = can_coerce_type(1, &type, &target, COERCION_EXPLICIT) ?
		"" : "::text";

		emit(st, logical, actual, "type",
			 psprintf("column %s has type %s; leadstore needs %s",
					  quote_identifier(name), format_type_with_typemod(type, typmod), needs),
			 psprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s%s::%s",
					  qtable(st, def->table), quote_identifier(name),
					  def->ref_type, quote_identifier(name), cast,
					  def->ref_type));
		return;
	}
	emit(st, logical, actual, "ok",
		 rc.is_timestamp ?
		 psprintf("%s, read and written as UTC wall-clock time",
				  format_type_with_typemod(type, typmod)) :
		 format_type_with_typemod(type, typmod), NULL);
}

/*
 * check_unique_key -- the row of the section table's unique key
 */
static void
check_unique_key(CheckState *st, Oid relid, AttrNumber a1, AttrNumber a2)
{
	char	   *logical = "lead_section_data(lead_id, section_id) unique";
	char	   *create;
	char	   *duplicates;
	char	   *dedupe;
	Oid			index = InvalidOid;

	ls_unique_key_sql(&st->model, &create, &duplicates, &dedupe);
	if (a1 != InvalidAttrNumber && a2 != InvalidAttrNumber)
		index = ls_find_index(relid, a1, a2, true);
	if (OidIsValid(index))
	{
		emit(st, logical, quote_identifier(get_rel_name(index)), "ok",
			 "unique index for the upsert of a section", NULL);
		return;
	}
	emit(st, logical,
		 psprintf("%s(%s, %s)",
				  quote_identifier(st->model.tables[LS_TABLE_SECTIONS]),
				  quote_identifier(st->model.columns[LS_COL_SECT_LEAD_ID].name),
				  quote_identifier(st->model.columns[LS_COL_SECT_SECTION_ID].name)),
		 "constraint",
		 psprintf("no unique index on (%s, %s): store_section_result upserts one row per lead and section and raises 42P10 without it.  The fix keeps the most recently updated row of each lead and section and deletes the other duplicates; review them first with: %s",
				  quote_identifier(st->model.columns[LS_COL_SECT_LEAD_ID].name),
				  quote_identifier(st->model.columns[LS_COL_SECT_SECTION_ID].name),
				  duplicates),
		 psprintf("%s; %s", dedupe, create));
}

/*
 * check_index -- the row of one index of the chunk table
 */
static void
check_index(CheckState *st, Oid relid, const LsIndexNeed *need,
			AttrNumber a1, AttrNumber a2)
{
	const char *c1 = st->model.columns[need->a1].name;
	const char *c2 = st->model.columns[need->a2].name;
	const char *q1 = quote_identifier(c1);
	const char *q2 = quote_identifier(c2);
	char	   *logical = psprintf("rfp_embeddings(%s, %s) index",
								   ls_columns[need->a1].name,
								   ls_columns[need->a2].name);
	char		name[NAMEDATALEN];
	Oid			index = InvalidOid;

	if (a1 != InvalidAttrNumber && a2 != InvalidAttrNumber)
		index = ls_find_index(relid, a1, a2, false);
	if (OidIsValid(index))
	{
		emit(st, logical, quote_identifier(get_rel_name(index)), "ok",
			 psprintf("index that %s", need->what), NULL);
		return;
	}
	snprintf(name, sizeof(name), "%s_%s_%s_idx",
			 st->model.tables[LS_TABLE_EMBEDDINGS], c1, c2);
	emit(st, logical,
		 psprintf("%s(%s, %s)",
				  quote_identifier(st->model.tables[LS_TABLE_EMBEDDINGS]), q1, q2),
		 "index",
		 psprintf("no index whose first columns are (%s, %s); without it the statement that %s reads the whole table",
				  q1, q2, need->what),
		 psprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s, %s)",
				  quote_identifier(name), qtable(st, LS_TABLE_EMBEDDINGS),
				  q1, q2));
}

/*
 * leadstore_check_data_model -- SQL: leadstore.check_data_model()
 *		RETURNS TABLE (logical_name, actual_name, status, detail, fix)
 */
PG_FUNCTION_INFO_V1(leadstore_check_data_model);
Datum
leadstore_check_data_model(PG_FUNCTION_ARGS)
{
	CheckState	st;
	LsMapping	map;
	int			t;
	int			c;

	InitMaterializedSRF(fcinfo, 0);
	st.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	ls_mapping_build(&map, leadstore_table_names, leadstore_column_names);
	memset(&st.model, 0, sizeof(st.model));
	st.model.schema = leadstore_data_schema;
	for (t = 0; t < LS_NUM_TABLES; t++)
		st.model.tables[t] = map.tables[t] ? map.tables[t] :
			ls_logical_table_name(t);
	for (c = 0; c < LS_NUM_COLUMNS; c++)
		st.model.columns[c].name = ls_mapped_column(&map, ls_columns[c].table,
													ls_columns[c].name);
	st.nspid = ls_lookup_namespace(leadstore_data_schema);

	for (t = 0; t < LS_NUM_USED_TABLES; t++)
	{
		Oid			relid = InvalidOid;
		AttrNumber	attnums[LS_NUM_COLUMNS];
		char	   *actual = quote_qualified_identifier(st.model.schema,
														st.model.tables[t]);
		int			i;

		if (OidIsValid(st.nspid))
			relid = ls_lookup_relation(st.model.tables[t], st.nspid);
		if (!OidIsValid(relid))
			emit(&st, ls_logical_table_name(t), actual, "missing",
				 OidIsValid(st.nspid) ?
				 psprintf("table %s does not exist", actual) :
				 psprintf("schema %s does not exist",
						  quote_identifier(st.model.schema)),
				 create_table_sql(&st, t));
		else if (get_rel_relkind(relid) != RELKIND_RELATION &&
				 get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE)
		{
			emit(&st, ls_logical_table_name(t), actual, "type",
				 psprintf("%s is not a table; leadstore writes to it with INSERT ... ON CONFLICT, UPDATE and DELETE and needs a table (or map the logical table to one)",
						  actual), NULL);
			relid = InvalidOid;
		}
		else
			emit(&st, ls_logical_table_name(t), actual, "ok", "table", NULL);

		for (c = 0; c < LS_NUM_COLUMNS; c++)
			if (ls_columns[c].table == (LsTable) t)
				check_column(&st, c, relid, &attnums[c]);

		if (t == LS_TABLE_SECTIONS)
			check_unique_key(&st, relid, attnums[LS_COL_SECT_LEAD_ID],
							 attnums[LS_COL_SECT_SECTION_ID]);
		if (t == LS_TABLE_EMBEDDINGS)
			for (i = 0; i < (int) lengthof(chunk_indexes); i++)
				check_index(&st, relid, &chunk_indexes[i],
							attnums[chunk_indexes[i].a1],
							attnums[chunk_indexes[i].a2]);
	}
	return (Datum) 0;
}
