/*-------------------------------------------------------------------------
 *
 * plans.c
 *	  The SPI plan cache: every statement leadstore runs, built for the
 *	  current data schema and mapping, prepared once, kept, and checked
 *	  before each use.
 *
 * Statement texts are built from the resolved data model (model.c): every
 * relation and column is the application's actual name, quoted; every
 * function and operator is qualified with pg_catalog; values travel only as
 * $n parameters.  So a caller's search_path (PostgreSQL re-analyzes a kept
 * plan under the current search_path when it changes) cannot redirect a
 * read or a write.  A column of another type than the reference model's is
 * read and written through an expression: timestamp without time zone
 * through pg_catalog.timezone('UTC', ...), a non-text id through a cast.
 *
 * Kept plans are grouped in plan sets, one per (leadstore.data_schema,
 * leadstore.table_names, leadstore.column_names).  A pooled connection may
 * serve many schemas or mappings, so at most LS_MAX_PLAN_SETS sets are kept
 * and the least recently used one is freed to make room.
 *
 * A kept plan that PostgreSQL has invalidated (DDL on its tables, an index
 * created or dropped) is freed and rebuilt, resolving its tables again (the
 * pattern of ri_FetchPreparedPlan in ri_triggers.c), so a changed column
 * type or a new unique index takes effect at the next call.
 *
 * IDENTIFICATION
 *	  src/plans.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "leadstore.h"
#include "model.h"

/* Plan sets kept per backend */
#define LS_MAX_PLAN_SETS	8

/* Parameters of the largest statement (a 16-row chunk insert) */
#define LS_MAX_ARGS (LS_CHUNK_SHARED_ARGS + LS_CHUNK_ROW_ARGS * LS_MAX_CHUNK_BATCH)

typedef char *(*LsBuildSql) (const LsModel *m, int batch, bool nowait);

/*
 * A statement: the function that builds its text from the model, its
 * parameter types and the tables it needs.
 */
typedef struct LsStatement
{
	LsBuildSql	build;
	int			nargs;			/* chunk inserts: shared args only */
	Oid			argtypes[LS_CHUNK_SHARED_ARGS];
	int			tables;			/* mask of LS_T(LsTable) */
	int			batch;			/* chunk inserts: rows per statement */
	bool		nowait;			/* row-locking clauses get NOWAIT */
} LsStatement;

/*
 * Pieces of statement text.  Each returns a palloc'd string; the texts are
 * built only when a statement is prepared.
 */

/* the table, schema-qualified and quoted */
static char *
tbl(const LsModel *m, LsTable t)
{
	return quote_qualified_identifier(m->schema, m->tables[t]);
}

/* the column name, quoted */
static const char *
col(const LsModel *m, LsColumnId c)
{
	return quote_identifier(m->columns[c].name);
}

/* the column of alias a as leadstore reads it: text, or timestamptz */
static char *
rd(const LsModel *m, const char *a, LsColumnId c)
{
	const LsResolvedColumn *rc = &m->columns[c];

	if (rc->is_timestamp)
		return psprintf("pg_catalog.timezone('UTC'::pg_catalog.text, %s.%s)",
						a, col(m, c));
	if (ls_columns[c].value == LS_VALUE_TEXT && !rc->is_text)
		return psprintf("%s.%s::pg_catalog.text", a, col(m, c));
	return psprintf("%s.%s", a, col(m, c));
}

/* the value expr as written into (or compared with) column c */
static char *
wr(const LsModel *m, LsColumnId c, const char *expr)
{
	const LsResolvedColumn *rc = &m->columns[c];

	if (rc->is_timestamp)
		return psprintf("pg_catalog.timezone('UTC'::pg_catalog.text, %s)",
						expr);
	if (rc->needs_cast)
		return psprintf("(%s)::%s", expr, format_type_be_qualified(rc->type));
	return pstrdup(expr);
}

/* "a.c = expr" for an id column */
static char *
eq(const LsModel *m, const char *a, LsColumnId c, const char *expr)
{
	return psprintf("%s.%s OPERATOR(pg_catalog.=) %s", a, col(m, c),
					wr(m, c, expr));
}

#define NOW "pg_catalog.now()"

static char *
sql_lead_rfp(const LsModel *m, int batch, bool nowait)
{
	return psprintf("SELECT %s FROM %s l WHERE %s",
					rd(m, "l", LS_COL_LEADS_RFP_ID),
					tbl(m, LS_TABLE_LEADS),
					eq(m, "l", LS_COL_LEADS_ID, "$1"));
}

/*
 * The upsert of a section row: ON CONFLICT needs a unique index on
 * (lead_id, section_id), checked before this is prepared.  It takes the
 * section row's lock, which serializes two stores of one section.
 */
static char *
sql_section_upsert(const LsModel *m, int batch, bool nowait)
{
	return psprintf("INSERT INTO %s AS d (%s, %s, %s, %s, %s, %s, %s, %s) "
					"VALUES (%s, %s, %s, $4, $5, $6, %s, %s) "
					"ON CONFLICT (%s, %s) DO UPDATE SET "
					"%s = EXCLUDED.%s, %s = EXCLUDED.%s, %s = EXCLUDED.%s, "
					"%s = EXCLUDED.%s RETURNING %s",
					tbl(m, LS_TABLE_SECTIONS),
					col(m, LS_COL_SECT_ID), col(m, LS_COL_SECT_LEAD_ID),
					col(m, LS_COL_SECT_SECTION_ID), col(m, LS_COL_SECT_CONTENT),
					col(m, LS_COL_SECT_CONFIDENCE), col(m, LS_COL_SECT_SOURCES),
					col(m, LS_COL_SECT_CREATED_AT),
					col(m, LS_COL_SECT_UPDATED_AT),
					wr(m, LS_COL_SECT_ID, "$1"),
					wr(m, LS_COL_SECT_LEAD_ID, "$2"),
					wr(m, LS_COL_SECT_SECTION_ID, "$3"),
					wr(m, LS_COL_SECT_CREATED_AT, NOW),
					wr(m, LS_COL_SECT_UPDATED_AT, NOW),
					col(m, LS_COL_SECT_LEAD_ID), col(m, LS_COL_SECT_SECTION_ID),
					col(m, LS_COL_SECT_CONTENT), col(m, LS_COL_SECT_CONTENT),
					col(m, LS_COL_SECT_CONFIDENCE),
					col(m, LS_COL_SECT_CONFIDENCE),
					col(m, LS_COL_SECT_SOURCES), col(m, LS_COL_SECT_SOURCES),
					col(m, LS_COL_SECT_UPDATED_AT),
					col(m, LS_COL_SECT_UPDATED_AT),
					rd(m, "d", LS_COL_SECT_ID));
}

static char *
sql_chunks_delete(const LsModel *m, int batch, bool nowait)
{
	return psprintf("DELETE FROM %s e WHERE %s AND %s",
					tbl(m, LS_TABLE_EMBEDDINGS),
					eq(m, "e", LS_COL_EMB_LEAD_ID, "$1"),
					eq(m, "e", LS_COL_EMB_SECTION_ID, "$2"));
}

static char *
sql_agent_lock(const LsModel *m, int batch, bool nowait)
{
	return pstrdup("SELECT pg_catalog.pg_advisory_xact_lock($1)");
}

/* an agent's chunks of one lead ($3) or of the RFP alone: no section */
static char *
sql_agent_chunks_delete(const LsModel *m, bool with_lead)
{
	return psprintf("DELETE FROM %s e WHERE %s AND %s AND %s AND e.%s IS NULL",
					tbl(m, LS_TABLE_EMBEDDINGS),
					eq(m, "e", LS_COL_EMB_RFP_ID, "$1"),
					eq(m, "e", LS_COL_EMB_AGENT_NAME, "$2"),
					with_lead ? eq(m, "e", LS_COL_EMB_LEAD_ID, "$3") :
					psprintf("e.%s IS NULL", col(m, LS_COL_EMB_LEAD_ID)),
					col(m, LS_COL_EMB_SECTION_ID));
}

static char *
sql_agent_chunks_delete_lead(const LsModel *m, int batch, bool nowait)
{
	return sql_agent_chunks_delete(m, true);
}

static char *
sql_agent_chunks_delete_nolead(const LsModel *m, int batch, bool nowait)
{
	return sql_agent_chunks_delete(m, false);
}

/*
 * The chunk insert for batch rows.  One statement for several rows saves an
 * executor start and a plan check per chunk; each embedding is still its
 * own 1-D real[] parameter, so pgvector's assignment cast applies per row.
 * Parameters: LS_CHUNK_SHARED_ARGS shared, then LS_CHUNK_ROW_ARGS per row.
 */
static char *
sql_chunk_insert(const LsModel *m, int batch, bool nowait)
{
	StringInfoData buf;
	int			r;

	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "INSERT INTO %s (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) VALUES ",
					 tbl(m, LS_TABLE_EMBEDDINGS),
					 col(m, LS_COL_EMB_ID), col(m, LS_COL_EMB_RFP_ID),
					 col(m, LS_COL_EMB_LEAD_ID), col(m, LS_COL_EMB_SECTION_ID),
					 col(m, LS_COL_EMB_AGENT_NAME),
					 col(m, LS_COL_EMB_CHUNK_TYPE),
					 col(m, LS_COL_EMB_CHUNK_INDEX), col(m, LS_COL_EMB_CONTENT),
					 col(m, LS_COL_EMB_METADATA), col(m, LS_COL_EMB_EMBEDDING),
					 col(m, LS_COL_EMB_CREATED_AT));
	for (r = 0; r < batch; r++)
	{
		int			p = LS_CHUNK_SHARED_ARGS + r * LS_CHUNK_ROW_ARGS;

		appendStringInfo(&buf, "%s(%s, %s, %s, %s, %s, %s, $%d, %s, $6, $%d, %s)",
						 r > 0 ? ", " : "",
						 wr(m, LS_COL_EMB_ID, psprintf("$%d", p + 1)),
						 wr(m, LS_COL_EMB_RFP_ID, "$1"),
						 wr(m, LS_COL_EMB_LEAD_ID, "$2"),
						 wr(m, LS_COL_EMB_SECTION_ID, "$3"),
						 wr(m, LS_COL_EMB_AGENT_NAME, "$4"),
						 wr(m, LS_COL_EMB_CHUNK_TYPE, "$5"),
						 p + 2,
						 wr(m, LS_COL_EMB_CONTENT, psprintf("$%d", p + 3)),
						 p + 4,
						 wr(m, LS_COL_EMB_CREATED_AT, NOW));
	}
	return buf.data;
}

static char *
sql_lead_lock(const LsModel *m, int batch, bool nowait)
{
	return psprintf("SELECT %s, %s, %s, %s, %s FROM %s l WHERE %s "
					"FOR NO KEY UPDATE OF l%s",
					rd(m, "l", LS_COL_LEADS_BUSINESS_UNIT_ID),
					rd(m, "l", LS_COL_LEADS_SELECTED_CMS_ID),
					rd(m, "l", LS_COL_LEADS_STATUS),
					rd(m, "l", LS_COL_LEADS_STARTED_AT),
					rd(m, "l", LS_COL_LEADS_COMPLETED_AT),
					tbl(m, LS_TABLE_LEADS),
					eq(m, "l", LS_COL_LEADS_ID, "$1"),
					nowait ? " NOWAIT" : "");
}

/*
 * The lead and the technology of a CMS selection, locked by one statement:
 * ExecLockRows takes the row marks in the order of the locking clauses, so
 * the lead is locked (and, under READ COMMITTED, re-read) first.  An inner
 * join: a locking clause cannot apply to the nullable side of an outer join,
 * so no row means "one of them is missing" and the caller finds out which.
 */
static char *
sql_lead_tech_lock(const LsModel *m, int batch, bool nowait)
{
	return psprintf("SELECT %s, %s, %s, %s FROM %s l, %s t WHERE %s AND %s "
					"FOR NO KEY UPDATE OF l%s FOR SHARE OF t%s",
					rd(m, "l", LS_COL_LEADS_BUSINESS_UNIT_ID),
					rd(m, "l", LS_COL_LEADS_SELECTED_CMS_ID),
					rd(m, "t", LS_COL_TECH_BUSINESS_UNIT_ID),
					rd(m, "t", LS_COL_TECH_CATEGORY),
					tbl(m, LS_TABLE_LEADS), tbl(m, LS_TABLE_TECHNOLOGIES),
					eq(m, "l", LS_COL_LEADS_ID, "$1"),
					eq(m, "t", LS_COL_TECH_ID, "$2"),
					nowait ? " NOWAIT" : "", nowait ? " NOWAIT" : "");
}

static char *
sql_default_cms(const LsModel *m, int batch, bool nowait)
{
	return psprintf("SELECT %s FROM %s t WHERE %s AND t.%s "
					"AND %s OPERATOR(pg_catalog.=) 'CMS'::pg_catalog.text "
					"ORDER BY %s COLLATE pg_catalog.\"C\" LIMIT 1 "
					"FOR SHARE OF t%s",
					rd(m, "t", LS_COL_TECH_ID),
					tbl(m, LS_TABLE_TECHNOLOGIES),
					eq(m, "t", LS_COL_TECH_BUSINESS_UNIT_ID, "$1"),
					col(m, LS_COL_TECH_IS_DEFAULT),
					rd(m, "t", LS_COL_TECH_CATEGORY),
					rd(m, "t", LS_COL_TECH_ID),
					nowait ? " NOWAIT" : "");
}

static char *
sql_lead_set_cms(const LsModel *m, int batch, bool nowait)
{
	return psprintf("UPDATE %s l SET %s = %s, %s = %s WHERE %s",
					tbl(m, LS_TABLE_LEADS),
					col(m, LS_COL_LEADS_SELECTED_CMS_ID),
					wr(m, LS_COL_LEADS_SELECTED_CMS_ID, "$2"),
					col(m, LS_COL_LEADS_UPDATED_AT),
					wr(m, LS_COL_LEADS_UPDATED_AT, NOW),
					eq(m, "l", LS_COL_LEADS_ID, "$1"));
}

/*
 * The deep-scan columns; deep_scan_error ($5) only when the table has it.
 * RETURNING gives the timestamps as stored (a column of lower precision
 * rounds them), so the run token handed out is the one finish compares.
 */
static char *
sql_deep_scan_set(const LsModel *m, int batch, bool nowait)
{
	char	   *error = "";

	if (OidIsValid(m->columns[LS_COL_LEADS_ERROR].type))
		error = psprintf(", %s = %s", col(m, LS_COL_LEADS_ERROR),
						 wr(m, LS_COL_LEADS_ERROR, "$5"));
	return psprintf("UPDATE %s l SET %s = %s, %s = %s, %s = %s%s, %s = %s "
					"WHERE %s RETURNING %s, %s",
					tbl(m, LS_TABLE_LEADS),
					col(m, LS_COL_LEADS_STATUS),
					wr(m, LS_COL_LEADS_STATUS, "$2"),
					col(m, LS_COL_LEADS_STARTED_AT),
					wr(m, LS_COL_LEADS_STARTED_AT, "$3"),
					col(m, LS_COL_LEADS_COMPLETED_AT),
					wr(m, LS_COL_LEADS_COMPLETED_AT, "$4"),
					error,
					col(m, LS_COL_LEADS_UPDATED_AT),
					wr(m, LS_COL_LEADS_UPDATED_AT, NOW),
					eq(m, "l", LS_COL_LEADS_ID, "$1"),
					rd(m, "l", LS_COL_LEADS_STARTED_AT),
					rd(m, "l", LS_COL_LEADS_COMPLETED_AT));
}

static char *
sql_sections_since(const LsModel *m, int batch, bool nowait)
{
	return psprintf("SELECT pg_catalog.count(*)::pg_catalog.int4 FROM %s d "
					"WHERE %s AND d.%s OPERATOR(pg_catalog.>=) %s",
					tbl(m, LS_TABLE_SECTIONS),
					eq(m, "d", LS_COL_SECT_LEAD_ID, "$1"),
					col(m, LS_COL_SECT_UPDATED_AT),
					wr(m, LS_COL_SECT_UPDATED_AT, "$2"));
}

#define LEADS	LS_T(LS_TABLE_LEADS)
#define TECH	LS_T(LS_TABLE_TECHNOLOGIES)
#define SECT	LS_T(LS_TABLE_SECTIONS)
#define EMB		LS_T(LS_TABLE_EMBEDDINGS)
#define CHUNK_INSERT(n) \
	{sql_chunk_insert, LS_CHUNK_SHARED_ARGS, \
	 {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID}, EMB, n, false}

static const LsStatement statements[LS_NUM_PLANS] = {
	[LS_PLAN_LEAD_RFP] = {sql_lead_rfp, 1, {TEXTOID}, LEADS},
	[LS_PLAN_SECTION_UPSERT] = {sql_section_upsert, 6,
	{TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT4OID, JSONBOID}, SECT},
	[LS_PLAN_CHUNKS_DELETE] = {sql_chunks_delete, 2, {TEXTOID, TEXTOID}, EMB},
	[LS_PLAN_AGENT_LOCK] = {sql_agent_lock, 1, {INT8OID}, 0},
	[LS_PLAN_AGENT_CHUNKS_DELETE] = {sql_agent_chunks_delete_lead, 3,
	{TEXTOID, TEXTOID, TEXTOID}, EMB},
	[LS_PLAN_AGENT_CHUNKS_DELETE_NOLEAD] = {sql_agent_chunks_delete_nolead, 2,
	{TEXTOID, TEXTOID}, EMB},
	[LS_PLAN_CHUNK_INSERT_1] = CHUNK_INSERT(1),
	[LS_PLAN_CHUNK_INSERT_2] = CHUNK_INSERT(2),
	[LS_PLAN_CHUNK_INSERT_4] = CHUNK_INSERT(4),
	[LS_PLAN_CHUNK_INSERT_8] = CHUNK_INSERT(8),
	[LS_PLAN_CHUNK_INSERT_16] = CHUNK_INSERT(16),
	[LS_PLAN_LEAD_LOCK] = {sql_lead_lock, 1, {TEXTOID}, LEADS},
	[LS_PLAN_LEAD_LOCK_NOWAIT] = {sql_lead_lock, 1, {TEXTOID}, LEADS, 0, true},
	[LS_PLAN_LEAD_TECH_LOCK] = {sql_lead_tech_lock, 2, {TEXTOID, TEXTOID},
	LEADS | TECH},
	[LS_PLAN_LEAD_TECH_LOCK_NOWAIT] = {sql_lead_tech_lock, 2,
	{TEXTOID, TEXTOID}, LEADS | TECH, 0, true},
	[LS_PLAN_DEFAULT_CMS] = {sql_default_cms, 1, {TEXTOID}, TECH},
	[LS_PLAN_DEFAULT_CMS_NOWAIT] = {sql_default_cms, 1, {TEXTOID}, TECH, 0,
	true},
	[LS_PLAN_LEAD_SET_CMS] = {sql_lead_set_cms, 2, {TEXTOID, TEXTOID}, LEADS},
	[LS_PLAN_DEEP_SCAN_SET] = {sql_deep_scan_set, 5,
	{TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID}, LEADS},
	[LS_PLAN_SECTIONS_SINCE] = {sql_sections_since, 2,
	{TEXTOID, TIMESTAMPTZOID}, SECT},
};

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

/*
 * The kept plans of one data schema and mapping.  The key strings live in
 * TopMemoryContext; schema == NULL marks a free slot.
 */
typedef struct LsPlanSet
{
	char	   *schema;
	char	   *table_names;
	char	   *column_names;
	uint64		last_used;
	bool		present[LS_NUM_COLUMNS];	/* optional columns found */
	Oid			relids[LS_NUM_TABLES];	/* tables, as last resolved */
	SPIPlanPtr	plans[LS_NUM_PLANS];
} LsPlanSet;

static LsPlanSet plan_sets[LS_MAX_PLAN_SETS];
static LsPlanSet *current_set = NULL;	/* the last one used */
static uint64 use_clock = 0;

/*
 * set_matches -- whether a set was built for the current settings
 */
static inline bool
set_matches(const LsPlanSet *set)
{
	return set->schema != NULL &&
		strcmp(set->schema, leadstore_data_schema) == 0 &&
		strcmp(set->table_names, leadstore_table_names) == 0 &&
		strcmp(set->column_names, leadstore_column_names) == 0;
}

/*
 * free_set -- free a set's kept plans and key, leaving a free slot
 */
static void
free_set(LsPlanSet *set)
{
	int			i;

	for (i = 0; i < LS_NUM_PLANS; i++)
		if (set->plans[i] != NULL)
			SPI_freeplan(set->plans[i]);
	if (set->schema)
	{
		pfree(set->schema);
		pfree(set->table_names);
		pfree(set->column_names);
	}
	memset(set, 0, sizeof(*set));
}

/*
 * plan_set_for -- the plan set of the current settings
 *		Takes a free slot, or frees the least recently used set.
 */
static LsPlanSet *
plan_set_for(void)
{
	LsPlanSet  *victim = &plan_sets[0];
	int			i;

	if (current_set == NULL || !set_matches(current_set))
	{
		current_set = NULL;
		for (i = 0; i < LS_MAX_PLAN_SETS; i++)
		{
			LsPlanSet  *set = &plan_sets[i];

			if (set_matches(set))
			{
				current_set = set;
				break;
			}
			if (set->schema == NULL ||
				(victim->schema != NULL && set->last_used < victim->last_used))
				victim = set;
		}
		if (current_set == NULL)
		{
			free_set(victim);
			victim->schema = MemoryContextStrdup(TopMemoryContext,
												 leadstore_data_schema);
			victim->table_names = MemoryContextStrdup(TopMemoryContext,
													  leadstore_table_names);
			victim->column_names = MemoryContextStrdup(TopMemoryContext,
													   leadstore_column_names);
			current_set = victim;
		}
	}
	current_set->last_used = ++use_clock;
	return current_set;
}

/*
 * ls_plan_get -- the kept plan of a statement for the current settings
 *		Must be called between SPI_connect and SPI_finish.  Resolves the
 *		data model and prepares the statement on first use; does both again
 *		when PostgreSQL has invalidated the plan.
 */
SPIPlanPtr
ls_plan_get(LsPlanId id)
{
	const LsStatement *stmt = &statements[id];
	LsPlanSet  *set = plan_set_for();
	SPIPlanPtr	plan = set->plans[id];
	LsModel		model;
	Oid			argtypes[LS_MAX_ARGS];
	int			nargs = stmt->nargs;
	char	   *sql;
	int			c;

	if (plan != NULL && SPI_plan_is_valid(plan))
		return plan;

	if (plan != NULL)
	{
		/* DDL touched a table: forget the plan, resolve again, prepare */
		set->plans[id] = NULL;
		SPI_freeplan(plan);
	}

	/*
	 * Resolve the tables each time a statement is prepared: only then is it
	 * cheap, and only a fresh look is right after DDL on any of them.
	 */
	ls_model_resolve(&model, set->schema, set->table_names, set->column_names,
					 stmt->tables);
	if (id == LS_PLAN_SECTION_UPSERT)
		ls_model_require_unique_key(&model);
	for (c = 0; c < LS_NUM_COLUMNS; c++)
		if (stmt->tables & LS_T(ls_columns[c].table))
			set->present[c] = OidIsValid(model.columns[c].type);
	for (c = 0; c < LS_NUM_USED_TABLES; c++)
		if (stmt->tables & LS_T(c))
			set->relids[c] = model.relids[c];

	memcpy(argtypes, stmt->argtypes, sizeof(Oid) * stmt->nargs);
	if (stmt->batch > 0)
	{
		int			r;

		for (r = 0; r < stmt->batch; r++)
		{
			int			p = LS_CHUNK_SHARED_ARGS + r * LS_CHUNK_ROW_ARGS;

			argtypes[p] = TEXTOID;	/* id */
			argtypes[p + 1] = INT4OID;	/* chunk_index */
			argtypes[p + 2] = TEXTOID;	/* content */
			argtypes[p + 3] = FLOAT4ARRAYOID;	/* embedding */
		}
		nargs += LS_CHUNK_ROW_ARGS * stmt->batch;
	}

	sql = stmt->build(&model, stmt->batch, stmt->nowait);
	plan = SPI_prepare(sql, nargs, argtypes);
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
 * ls_column_present -- whether an optional column was found when the
 *		current settings' statements on its table were last prepared
 *		Call after ls_plan_get of a statement on that table.
 */
bool
ls_column_present(LsColumnId c)
{
	return current_set != NULL && current_set->present[c];
}

/*
 * ls_table_relid -- the table as resolved when the current settings'
 *		statements on it were last prepared
 *		Call after ls_plan_get of a statement on that table.
 */
Oid
ls_table_relid(LsTable t)
{
	return current_set != NULL ? current_set->relids[t] : InvalidOid;
}

/*
 * ls_current_model -- the data model resolved for the current settings,
 *		for messages (palloc'd in the current context)
 */
void
ls_current_model(LsModel *model, int table_mask)
{
	ls_model_resolve(model, leadstore_data_schema, leadstore_table_names,
					 leadstore_column_names, table_mask);
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

/*
 * ls_plan_execute_crosschecked -- as ls_plan_execute, for a DELETE under
 *		REPEATABLE READ or SERIALIZABLE: it runs with the latest snapshot and
 *		the transaction's snapshot as crosscheck (as the foreign-key triggers
 *		do), so a row committed by a concurrent transaction after the
 *		caller's snapshot raises 40001 instead of surviving unseen.
 */
void
ls_plan_execute_crosschecked(LsPlanId id, Datum *values, const char *nulls,
							 int expected)
{
	int			rc;

	if (!IsolationUsesXactSnapshot())
	{
		ls_plan_execute(id, values, nulls, expected, 0);
		return;
	}
	rc = SPI_execute_snapshot(ls_plan_get(id), values, nulls,
							  GetLatestSnapshot(), GetTransactionSnapshot(),
							  false, true, 0);
	if (rc != expected)
		elog(ERROR, "leadstore statement %d returned %s, expected %s",
			 (int) id, SPI_result_code_string(rc),
			 SPI_result_code_string(expected));
}
