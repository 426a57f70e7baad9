/*-------------------------------------------------------------------------
 *
 * plans.c
 *	  The SPI plan cache: every statement leadstore runs, prepared once per
 *	  backend and data schema, kept, and checked before each use.
 *
 * Statement texts name every relation as "<data schema>"."<table>" and every
 * function and operator through pg_catalog, and values travel only as $n
 * parameters, so a caller's search_path (PostgreSQL re-analyzes a kept plan
 * under the current search_path when it changes) cannot redirect a read or a
 * write.
 *
 * Before a statement is first prepared for a schema, the tables and columns
 * it uses are checked in the catalogs, so that a missing or incomplete data
 * model is reported as 42P01/42703 with a hint instead of a bare parser
 * error.  A kept plan that PostgreSQL has invalidated (DDL on its tables) is
 * freed and rebuilt, re-checking its tables (the pattern of
 * ri_FetchPreparedPlan in ri_triggers.c); an added column or a re-created
 * index needs nothing more than that.
 *
 * IDENTIFICATION
 *	  src/plans.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "leadstore.h"

/* The data-model tables a statement uses, as bits of a mask */
#define LS_T(t)		(1 << (t))

/* A column the statements use, and the type it must have */
typedef struct LsColumn
{
	LsTable		table;
	const char *name;
	Oid			type;			/* InvalidOid: any type (embedding) */
} LsColumn;

const char *const ls_table_names[LS_NUM_TABLES] = {
	"leads", "technologies", "lead_section_data", "rfp_embeddings"
};

static const LsColumn model_columns[] = {
	{LS_TABLE_LEADS, "id", TEXTOID},
	{LS_TABLE_LEADS, "rfp_id", TEXTOID},
	{LS_TABLE_LEADS, "business_unit_id", TEXTOID},
	{LS_TABLE_LEADS, "selected_cms_id", TEXTOID},
	{LS_TABLE_LEADS, "deep_scan_status", TEXTOID},
	{LS_TABLE_LEADS, "deep_scan_started_at", TIMESTAMPTZOID},
	{LS_TABLE_LEADS, "deep_scan_completed_at", TIMESTAMPTZOID},
	{LS_TABLE_LEADS, "updated_at", TIMESTAMPTZOID},
	{LS_TABLE_TECHNOLOGIES, "id", TEXTOID},
	{LS_TABLE_TECHNOLOGIES, "business_unit_id", TEXTOID},
	{LS_TABLE_TECHNOLOGIES, "category", TEXTOID},
	{LS_TABLE_TECHNOLOGIES, "is_default", BOOLOID},
	{LS_TABLE_SECTIONS, "id", TEXTOID},
	{LS_TABLE_SECTIONS, "lead_id", TEXTOID},
	{LS_TABLE_SECTIONS, "section_id", TEXTOID},
	{LS_TABLE_SECTIONS, "content", JSONBOID},
	{LS_TABLE_SECTIONS, "confidence", INT4OID},
	{LS_TABLE_SECTIONS, "sources", JSONBOID},
	{LS_TABLE_SECTIONS, "created_at", TIMESTAMPTZOID},
	{LS_TABLE_SECTIONS, "updated_at", TIMESTAMPTZOID},
	{LS_TABLE_EMBEDDINGS, "id", TEXTOID},
	{LS_TABLE_EMBEDDINGS, "rfp_id", TEXTOID},
	{LS_TABLE_EMBEDDINGS, "lead_id", TEXTOID},
	{LS_TABLE_EMBEDDINGS, "section_id", TEXTOID},
	{LS_TABLE_EMBEDDINGS, "agent_name", TEXTOID},
	{LS_TABLE_EMBEDDINGS, "chunk_type", TEXTOID},
	{LS_TABLE_EMBEDDINGS, "chunk_index", INT4OID},
	{LS_TABLE_EMBEDDINGS, "content", TEXTOID},
	{LS_TABLE_EMBEDDINGS, "metadata", JSONBOID},
	{LS_TABLE_EMBEDDINGS, "embedding", InvalidOid},
	{LS_TABLE_EMBEDDINGS, "created_at", TIMESTAMPTZOID},
};

/*
 * A statement: its text, with %1$s standing for the quoted schema name, its
 * parameter types and the tables it needs.
 */
typedef struct LsStatement
{
	const char *sql;			/* NULL: built by chunk_insert_sql */
	int			nargs;
	Oid			argtypes[10];
	int			tables;			/* mask of LS_T(LsTable) */
	int			batch;			/* chunk inserts: rows per statement */
} LsStatement;

#define LEAD_LOCK_SQL \
	"SELECT l.\"business_unit_id\", l.\"selected_cms_id\", " \
	"l.\"deep_scan_status\", l.\"deep_scan_started_at\", " \
	"l.\"deep_scan_completed_at\" " \
	"FROM %1$s.\"leads\" l WHERE l.\"id\" OPERATOR(pg_catalog.=) $1 " \
	"FOR NO KEY UPDATE OF l"

/*
 * The lead and the technology of a CMS selection, locked by one statement:
 * ExecLockRows takes the row marks in the order of the locking clauses, so
 * the lead is locked (and, under READ COMMITTED, re-read) first.  An inner
 * join: a locking clause cannot apply to the nullable side of an outer join,
 * so no row means "one of them is missing" and the caller finds out which.
 */
#define LEAD_TECH_LOCK_SQL(NOWAIT) \
	"SELECT l.\"business_unit_id\", l.\"selected_cms_id\", " \
	"t.\"business_unit_id\", t.\"category\" " \
	"FROM %1$s.\"leads\" l, %1$s.\"technologies\" t " \
	"WHERE l.\"id\" OPERATOR(pg_catalog.=) $1 " \
	"AND t.\"id\" OPERATOR(pg_catalog.=) $2 " \
	"FOR NO KEY UPDATE OF l" NOWAIT " FOR SHARE OF t" NOWAIT

#define TECH_LOCK_SQL(NOWAIT) \
	"SELECT t.\"business_unit_id\", t.\"category\" " \
	"FROM %1$s.\"technologies\" t " \
	"WHERE t.\"id\" OPERATOR(pg_catalog.=) $1 " \
	"FOR SHARE OF t" NOWAIT

#define DEFAULT_CMS_SQL \
	"SELECT t.\"id\" FROM %1$s.\"technologies\" t " \
	"WHERE t.\"business_unit_id\" OPERATOR(pg_catalog.=) $1 " \
	"AND t.\"is_default\" " \
	"AND t.\"category\" OPERATOR(pg_catalog.=) 'CMS'::pg_catalog.text " \
	"ORDER BY t.\"id\" COLLATE pg_catalog.\"C\" LIMIT 1 " \
	"FOR SHARE OF t"

static const LsStatement statements[LS_NUM_PLANS] = {
	[LS_PLAN_LEAD_RFP] = {
		"SELECT l.\"rfp_id\" FROM %1$s.\"leads\" l "
		"WHERE l.\"id\" OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}, LS_T(LS_TABLE_LEADS)
	},
	[LS_PLAN_SECTION_UPSERT] = {
		"INSERT INTO %1$s.\"lead_section_data\" AS d "
		"(\"id\", \"lead_id\", \"section_id\", \"content\", \"confidence\", "
		"\"sources\", \"created_at\", \"updated_at\") "
		"VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.now(), pg_catalog.now()) "
		"ON CONFLICT (\"lead_id\", \"section_id\") DO UPDATE SET "
		"\"content\" = EXCLUDED.\"content\", "
		"\"confidence\" = EXCLUDED.\"confidence\", "
		"\"sources\" = EXCLUDED.\"sources\", "
		"\"updated_at\" = EXCLUDED.\"updated_at\" "
		"RETURNING d.\"id\"",
		6, {TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT4OID, JSONBOID},
		LS_T(LS_TABLE_SECTIONS)
	},
	[LS_PLAN_CHUNKS_DELETE] = {
		"DELETE FROM %1$s.\"rfp_embeddings\" e "
		"WHERE e.\"lead_id\" OPERATOR(pg_catalog.=) $1 "
		"AND e.\"section_id\" OPERATOR(pg_catalog.=) $2",
		2, {TEXTOID, TEXTOID}, LS_T(LS_TABLE_EMBEDDINGS)
	},
	[LS_PLAN_CHUNK_INSERT_1] = {NULL, 0, {0}, LS_T(LS_TABLE_EMBEDDINGS), 1},
	[LS_PLAN_CHUNK_INSERT_2] = {NULL, 0, {0}, LS_T(LS_TABLE_EMBEDDINGS), 2},
	[LS_PLAN_CHUNK_INSERT_4] = {NULL, 0, {0}, LS_T(LS_TABLE_EMBEDDINGS), 4},
	[LS_PLAN_CHUNK_INSERT_8] = {NULL, 0, {0}, LS_T(LS_TABLE_EMBEDDINGS), 8},
	[LS_PLAN_CHUNK_INSERT_16] = {NULL, 0, {0}, LS_T(LS_TABLE_EMBEDDINGS), 16},
	[LS_PLAN_LEAD_LOCK] = {
		LEAD_LOCK_SQL, 1, {TEXTOID}, LS_T(LS_TABLE_LEADS)
	},
	[LS_PLAN_LEAD_LOCK_NOWAIT] = {
		LEAD_LOCK_SQL " NOWAIT", 1, {TEXTOID}, LS_T(LS_TABLE_LEADS)
	},
	[LS_PLAN_LEAD_TECH_LOCK] = {
		LEAD_TECH_LOCK_SQL(""), 2, {TEXTOID, TEXTOID},
		LS_T(LS_TABLE_LEADS) | LS_T(LS_TABLE_TECHNOLOGIES)
	},
	[LS_PLAN_LEAD_TECH_LOCK_NOWAIT] = {
		LEAD_TECH_LOCK_SQL(" NOWAIT"), 2, {TEXTOID, TEXTOID},
		LS_T(LS_TABLE_LEADS) | LS_T(LS_TABLE_TECHNOLOGIES)
	},
	[LS_PLAN_TECH_LOCK] = {
		TECH_LOCK_SQL(""), 1, {TEXTOID}, LS_T(LS_TABLE_TECHNOLOGIES)
	},
	[LS_PLAN_TECH_LOCK_NOWAIT] = {
		TECH_LOCK_SQL(" NOWAIT"), 1, {TEXTOID}, LS_T(LS_TABLE_TECHNOLOGIES)
	},
	[LS_PLAN_DEFAULT_CMS] = {
		DEFAULT_CMS_SQL, 1, {TEXTOID}, LS_T(LS_TABLE_TECHNOLOGIES)
	},
	[LS_PLAN_DEFAULT_CMS_NOWAIT] = {
		DEFAULT_CMS_SQL " NOWAIT", 1, {TEXTOID}, LS_T(LS_TABLE_TECHNOLOGIES)
	},
	[LS_PLAN_LEAD_SET_CMS] = {
		"UPDATE %1$s.\"leads\" l SET \"selected_cms_id\" = $2, "
		"\"updated_at\" = pg_catalog.now() "
		"WHERE l.\"id\" OPERATOR(pg_catalog.=) $1",
		2, {TEXTOID, TEXTOID}, LS_T(LS_TABLE_LEADS)
	},
	[LS_PLAN_DEEP_SCAN_SET] = {
		"UPDATE %1$s.\"leads\" l SET \"deep_scan_status\" = $2, "
		"\"deep_scan_started_at\" = $3, \"deep_scan_completed_at\" = $4, "
		"\"updated_at\" = pg_catalog.now() "
		"WHERE l.\"id\" OPERATOR(pg_catalog.=) $1",
		4, {TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID},
		LS_T(LS_TABLE_LEADS)
	},
	[LS_PLAN_SECTIONS_SINCE] = {
		"SELECT pg_catalog.count(*)::pg_catalog.int4 "
		"FROM %1$s.\"lead_section_data\" d "
		"WHERE d.\"lead_id\" OPERATOR(pg_catalog.=) $1 "
		"AND d.\"updated_at\" OPERATOR(pg_catalog.>=) $2",
		2, {TEXTOID, TIMESTAMPTZOID}, LS_T(LS_TABLE_SECTIONS)
	},
};

/*
 * chunk_insert_sql -- the text of the chunk insert for batch rows, with its
 *		parameter types in argtypes (LS_CHUNK_SHARED_ARGS + LS_CHUNK_ROW_ARGS x
 *		batch of them).  One statement for several rows saves an executor
 *		start and a plan check per chunk; each embedding is still its own
 *		1-D real[] parameter, so pgvector's assignment cast applies per row.
 */
static char *
chunk_insert_sql(const char *qschema, int batch, Oid *argtypes)
{
	StringInfoData buf;
	int			r;

	argtypes[0] = TEXTOID;		/* rfp_id */
	argtypes[1] = TEXTOID;		/* lead_id */
	argtypes[2] = TEXTOID;		/* section_id */
	argtypes[3] = TEXTOID;		/* agent_name */
	argtypes[4] = TEXTOID;		/* chunk_type */
	argtypes[5] = JSONBOID;		/* metadata */

	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "INSERT INTO %s.\"rfp_embeddings\" "
					 "(\"id\", \"rfp_id\", \"lead_id\", \"section_id\", "
					 "\"agent_name\", \"chunk_type\", \"chunk_index\", "
					 "\"content\", \"metadata\", \"embedding\", \"created_at\") VALUES ",
					 qschema);
	for (r = 0; r < batch; r++)
	{
		int			p = LS_CHUNK_SHARED_ARGS + r * LS_CHUNK_ROW_ARGS;

		argtypes[p] = TEXTOID;	/* id */
		argtypes[p + 1] = INT4OID;	/* chunk_index */
		argtypes[p + 2] = TEXTOID;	/* content */
		argtypes[p + 3] = FLOAT4ARRAYOID;	/* embedding */
		appendStringInfo(&buf,
						 "%s($%d, $1, $2, $3, $4, $5, $%d, $%d, $6, $%d, "
						 "pg_catalog.now())",
						 r > 0 ? ", " : "", p + 1, p + 2, p + 3, p + 4);
	}
	return buf.data;
}

/*
 * ls_chunk_insert_plan -- the chunk insert to use for the next rows
 *		The largest batch (16, 8, 4, 2, 1) that does not exceed remaining;
 *		sets *batch to its row count.
 */
LsPlanId
ls_chunk_insert_plan(int remaining, int *batch)
{
	LsPlanId	id = LS_PLAN_CHUNK_INSERT_16;

	Assert(remaining > 0);
	while (statements[id].batch > remaining)
		id--;
	*batch = statements[id].batch;
	return id;
}

/* The kept plans of one data schema (a hash entry; the name is the key) */
typedef struct LsPlanSet
{
	char		schema[NAMEDATALEN];
	SPIPlanPtr	plans[LS_NUM_PLANS];
} LsPlanSet;

static HTAB *plan_sets = NULL;
static LsPlanSet *current_set = NULL;	/* the last one used */

#define MODEL_HINT \
	"Apply leadstore_data_model.sql (in the extension directory) to schema \"%s\", or set leadstore.data_schema to the schema that holds it."

/*
 * check_tables -- verify the data-model tables in mask exist in the schema
 *		with every column the statements use, of the expected type.
 *		Raises 42P01 or 42703 with a hint naming the reference script.
 */
static void
check_tables(const char *schema, int mask)
{
	Oid			nspid = get_namespace_oid(schema, true);
	Oid			relids[LS_NUM_TABLES];
	int			t;
	int			i;

	if (!OidIsValid(nspid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("leadstore data schema \"%s\" does not exist", schema),
				 errdetail("leadstore.data_schema names the schema of the data-model tables."),
				 errhint(MODEL_HINT, schema)));

	for (t = 0; t < LS_NUM_TABLES; t++)
	{
		char		relkind;

		relids[t] = InvalidOid;
		if ((mask & LS_T(t)) == 0)
			continue;
		relids[t] = get_relname_relid(ls_table_names[t], nspid);
		if (!OidIsValid(relids[t]))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation \"%s.%s\" does not exist",
							schema, ls_table_names[t]),
					 errdetail("leadstore needs the table \"%s\" of its reference data model.",
							   ls_table_names[t]),
					 errhint(MODEL_HINT, schema)));
		relkind = get_rel_relkind(relids[t]);
		if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation \"%s.%s\" is not a table",
							schema, ls_table_names[t]),
					 errhint(MODEL_HINT, schema)));
	}

	for (i = 0; i < (int) lengthof(model_columns); i++)
	{
		const LsColumn *col = &model_columns[i];
		AttrNumber	attnum;
		Oid			atttype;

		if ((mask & LS_T(col->table)) == 0)
			continue;
		attnum = get_attnum(relids[col->table], col->name);
		if (attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s.%s\" does not exist",
							col->name, schema, ls_table_names[col->table]),
					 errhint(MODEL_HINT, schema)));
		atttype = get_atttype(relids[col->table], attnum);
		if (OidIsValid(col->type) && atttype != col->type)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s.%s\" has type %s",
							col->name, schema, ls_table_names[col->table],
							format_type_be(atttype)),
					 errdetail("leadstore needs type %s.",
							   format_type_be(col->type)),
					 errhint(MODEL_HINT, schema)));
	}
}

/*
 * ls_find_column -- attribute number of the live column name of desc, when
 *		its type is type (InvalidOid: any type); InvalidAttrNumber otherwise
 */
AttrNumber
ls_find_column(TupleDesc desc, const char *name, Oid type)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return !OidIsValid(type) || att->atttypid == type ?
				att->attnum : InvalidAttrNumber;
	}
	return InvalidAttrNumber;
}

/*
 * ls_model_columns_present -- whether a table's descriptor has every column
 *		the statements use of that data-model table, of the expected type
 *		The check of check_tables, for callers that have the relation open
 *		and only want to know (row_lock.c: when not, the statement path runs
 *		and check_tables reports it).
 */
bool
ls_model_columns_present(TupleDesc desc, LsTable table)
{
	int			i;

	for (i = 0; i < (int) lengthof(model_columns); i++)
	{
		const LsColumn *col = &model_columns[i];

		if (col->table == table &&
			ls_find_column(desc, col->name, col->type) == InvalidAttrNumber)
			return false;
	}
	return true;
}

/*
 * plan_set_for -- the plan set of the current leadstore.data_schema
 */
static LsPlanSet *
plan_set_for(const char *schema)
{
	bool		found;
	LsPlanSet  *set;

	if (current_set != NULL && strcmp(current_set->schema, schema) == 0)
		return current_set;

	if (plan_sets == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = NAMEDATALEN;
		ctl.entrysize = sizeof(LsPlanSet);
		plan_sets = hash_create("leadstore plan sets", 8, &ctl,
								HASH_ELEM | HASH_STRINGS);
	}
	set = (LsPlanSet *) hash_search(plan_sets, schema, HASH_ENTER, &found);
	if (!found)
		memset(set->plans, 0, sizeof(set->plans));
	current_set = set;
	return set;
}

/*
 * ls_plan_get -- the kept plan of a statement for the current data schema
 *		Must be called between SPI_connect and SPI_finish.  Prepares the
 *		statement on first use; rebuilds it when PostgreSQL has invalidated it.
 */
SPIPlanPtr
ls_plan_get(LsPlanId id)
{
	const LsStatement *stmt = &statements[id];
	LsPlanSet  *set = plan_set_for(leadstore_data_schema);
	SPIPlanPtr	plan = set->plans[id];
	char	   *sql;

	if (plan != NULL && SPI_plan_is_valid(plan))
		return plan;

	if (plan != NULL)
	{
		/* DDL touched a table: forget the plan, re-check, prepare again */
		set->plans[id] = NULL;
		SPI_freeplan(plan);
	}

	/*
	 * Check the tables each time a statement is prepared: only then is it
	 * cheap, and only a fresh check is right after DDL on any of them.
	 */
	check_tables(set->schema, stmt->tables);

	if (stmt->sql != NULL)
	{
		sql = psprintf(stmt->sql, quote_identifier(set->schema));
		plan = SPI_prepare(sql, stmt->nargs, (Oid *) stmt->argtypes);
	}
	else
	{
		Oid			argtypes[LS_CHUNK_SHARED_ARGS +
							 LS_CHUNK_ROW_ARGS * LS_MAX_CHUNK_BATCH];

		sql = chunk_insert_sql(quote_identifier(set->schema), stmt->batch,
							   argtypes);
		plan = SPI_prepare(sql, LS_CHUNK_SHARED_ARGS +
						   LS_CHUNK_ROW_ARGS * stmt->batch, argtypes);
	}
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s",
			 sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	pfree(sql);
	set->plans[id] = plan;
	return plan;
}

/*
 * ls_plan_execute -- run a kept statement and check its result code
 *		values/nulls as for SPI_execute_plan; expected is the SPI_OK_* code the
 *		statement must return; maxrows 0 means all.  Errors from the statement
 *		itself (constraints, privileges, locks) propagate unchanged.
 */
void
ls_plan_execute(LsPlanId id, Datum *values, const char *nulls,
				int expected, uint64 maxrows)
{
	int			rc;

	rc = SPI_execute_plan(ls_plan_get(id), values, nulls, false, maxrows);
	if (rc != expected)
		elog(ERROR, "leadstore statement %d returned %s, expected %s",
			 (int) id, SPI_result_code_string(rc),
			 SPI_result_code_string(expected));
}
