/*-------------------------------------------------------------------------
 *
 * leadstore.h
 *	  Declarations shared by the leadstore source files: settings, the
 *	  statement ids of the SPI plan cache, argument checks and id generation.
 *
 * IDENTIFICATION
 *	  src/leadstore.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADSTORE_H
#define LEADSTORE_H

#include "fmgr.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "nodes/lockoptions.h"
#include "storage/itemptr.h"

/* Largest embedding dimension accepted (pgvector's vector limit too) */
#define LS_MAX_DIMENSIONS	16000

/*
 * The chunk inserts: parameters $1..$6 are the same for every row (rfp_id,
 * lead_id, section_id, agent_name, chunk_type, metadata), then 4 per row
 * (id, chunk_index, content, embedding).  LS_MAX_CHUNK_BATCH rows at most.
 */
#define LS_CHUNK_SHARED_ARGS	6
#define LS_CHUNK_ROW_ARGS		4
#define LS_MAX_CHUNK_BATCH		16

/* Length of a UUID in its text form, without the terminating NUL */
#define LS_UUID_TEXT_LEN	36

/* Settings (leadstore.c) */
extern char *leadstore_data_schema;
extern int	leadstore_embedding_dimensions;

/* The data-model tables leadstore reads and writes */
typedef enum LsTable
{
	LS_TABLE_LEADS,
	LS_TABLE_TECHNOLOGIES,
	LS_TABLE_SECTIONS,
	LS_TABLE_EMBEDDINGS,
	LS_NUM_TABLES
} LsTable;

/*
 * Every statement leadstore runs.  Each is prepared once per backend and
 * data schema (plans.c) and kept.  The _NOWAIT twins differ only in the
 * row-locking clause.
 */
typedef enum LsPlanId
{
	LS_PLAN_LEAD_RFP,			/* the lead's rfp_id, no lock */
	LS_PLAN_SECTION_UPSERT,		/* insert ... on conflict do update */
	LS_PLAN_CHUNKS_DELETE,		/* delete a section's chunks */
	LS_PLAN_CHUNK_INSERT_1,		/* insert 1, 2, 4, 8 or 16 chunks with one */
	LS_PLAN_CHUNK_INSERT_2,		/* multi-row VALUES statement; consecutive and
								 * growing: ls_chunk_insert_plan walks down
								 * from _16 */
	LS_PLAN_CHUNK_INSERT_4,
	LS_PLAN_CHUNK_INSERT_8,
	LS_PLAN_CHUNK_INSERT_16,
	LS_PLAN_LEAD_LOCK,			/* lead row FOR NO KEY UPDATE */
	LS_PLAN_LEAD_LOCK_NOWAIT,
	LS_PLAN_LEAD_TECH_LOCK,		/* lead FOR NO KEY UPDATE, then technology FOR
								 * SHARE, in one statement */
	LS_PLAN_LEAD_TECH_LOCK_NOWAIT,
	LS_PLAN_TECH_LOCK,			/* technology FOR SHARE (lead locked by
								 * row_lock.c) */
	LS_PLAN_TECH_LOCK_NOWAIT,
	LS_PLAN_DEFAULT_CMS,		/* business unit's default CMS, FOR SHARE */
	LS_PLAN_DEFAULT_CMS_NOWAIT,
	LS_PLAN_LEAD_SET_CMS,		/* update leads.selected_cms_id */
	LS_PLAN_DEEP_SCAN_SET,		/* update leads.deep_scan_* */
	LS_PLAN_SECTIONS_SINCE,		/* count a lead's sections stored since */
	LS_NUM_PLANS
} LsPlanId;

/* plans.c */
extern const char *const ls_table_names[LS_NUM_TABLES];
extern AttrNumber ls_find_column(TupleDesc desc, const char *name, Oid type);
extern bool ls_model_columns_present(TupleDesc desc, LsTable table);
extern SPIPlanPtr ls_plan_get(LsPlanId id);
extern LsPlanId ls_chunk_insert_plan(int remaining, int *batch);
extern void ls_plan_execute(LsPlanId id, Datum *values, const char *nulls,
							int expected, uint64 maxrows);

/* args.c */
extern char *ls_require_id(FunctionCallInfo fcinfo, int argno,
						   const char *name);
extern char *ls_optional_id(FunctionCallInfo fcinfo, int argno,
							const char *name);
extern void ls_require_not_null(FunctionCallInfo fcinfo, int argno,
								const char *name);
extern bool ls_arg_bool(FunctionCallInfo fcinfo, int argno, bool dflt);
extern char *ls_spi_text(int fnumber, bool *isnull);

/* A column read under a row lock, and the type it must have (row_lock.c) */
typedef struct LsRowColumn
{
	const char *name;
	Oid			type;
} LsRowColumn;

#define LS_ROW_MAX_COLUMNS	8

/*
 * A row locked by ls_lock_row, for ls_update_locked_row: the table and the
 * version locked.  relid is InvalidOid when the row was locked by a
 * statement (then it is updated by one too).
 */
typedef struct LsLockedRow
{
	Oid			relid;
	ItemPointerData tid;
} LsLockedRow;

/* row_lock.c */
extern bool ls_lock_row(LsTable table, const char *id, LockTupleMode mode,
						bool nowait, int ncols, const LsRowColumn *cols,
						Datum *values, bool *isnull, bool *found,
						LsLockedRow *locked);
extern bool ls_update_locked_row(const LsLockedRow *locked, int ncols,
								 const LsRowColumn *cols, const Datum *values,
								 const bool *isnull);

/* A lead row as read under its FOR NO KEY UPDATE lock (lead_lock.c) */
typedef struct LsLead
{
	char	   *business_unit_id;
	char	   *selected_cms_id;	/* NULL: none selected */
	char	   *deep_scan_status;
	bool		has_started_at;
	TimestampTz started_at;
	bool		has_completed_at;
	TimestampTz completed_at;
	LsLockedRow row;			/* how it was locked, for the update */
} LsLead;

/* lead_lock.c */
extern bool ls_try_lock_lead(const char *lead_id, bool nowait, LsLead *lead);
extern void ls_lock_lead(const char *lead_id, bool nowait, LsLead *lead);
extern void ls_lead_not_found(const char *lead_id) pg_attribute_noreturn();

/* uuidv7.c */
extern void ls_uuidv7_text(char *buf);

#endif							/* LEADSTORE_H */
