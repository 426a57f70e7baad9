/*-------------------------------------------------------------------------
 *
 * leadstore.h
 *	  Declarations shared by the leadstore source files: settings, the data
 *	  model (logical tables and columns and their mapping to the
 *	  application's own), the statement ids of the SPI plan cache, argument
 *	  checks, embeddings and id generation.
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

/* PostgreSQL 18 replaced the suffix pg_attribute_noreturn() by pg_noreturn */
#if PG_VERSION_NUM < 180000
#define pg_noreturn pg_attribute_noreturn()
#endif

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
extern char *leadstore_table_names;
extern char *leadstore_column_names;

/*
 * The logical tables of the reference data model.  leadstore reads and
 * writes the first four; the other two are only named by the mapping
 * setting (an application that renames them may say so) and by foreign keys.
 */
typedef enum LsTable
{
	LS_TABLE_LEADS,
	LS_TABLE_TECHNOLOGIES,
	LS_TABLE_SECTIONS,
	LS_TABLE_EMBEDDINGS,
	LS_TABLE_BUSINESS_UNITS,
	LS_TABLE_RFPS,
	LS_NUM_TABLES
} LsTable;

/* The tables the statements use (the first LS_NUM_USED_TABLES of LsTable) */
#define LS_NUM_USED_TABLES	4

/* A set of tables, as bits of a mask */
#define LS_T(t)		(1 << (t))
#define LS_ALL_USED_TABLES	(LS_T(LS_NUM_USED_TABLES) - 1)

/*
 * The logical columns leadstore reads or writes, grouped by table.  Their
 * names, tables and the values leadstore puts in them are in model.c.
 */
typedef enum LsColumnId
{
	LS_COL_LEADS_ID,
	LS_COL_LEADS_RFP_ID,
	LS_COL_LEADS_BUSINESS_UNIT_ID,
	LS_COL_LEADS_SELECTED_CMS_ID,
	LS_COL_LEADS_STATUS,
	LS_COL_LEADS_STARTED_AT,
	LS_COL_LEADS_COMPLETED_AT,
	LS_COL_LEADS_ERROR,			/* optional */
	LS_COL_LEADS_UPDATED_AT,
	LS_COL_TECH_ID,
	LS_COL_TECH_BUSINESS_UNIT_ID,
	LS_COL_TECH_CATEGORY,
	LS_COL_TECH_IS_DEFAULT,
	LS_COL_SECT_ID,
	LS_COL_SECT_LEAD_ID,
	LS_COL_SECT_SECTION_ID,
	LS_COL_SECT_CONTENT,
	LS_COL_SECT_CONFIDENCE,
	LS_COL_SECT_SOURCES,
	LS_COL_SECT_CREATED_AT,
	LS_COL_SECT_UPDATED_AT,
	LS_COL_EMB_ID,
	LS_COL_EMB_RFP_ID,
	LS_COL_EMB_LEAD_ID,
	LS_COL_EMB_SECTION_ID,
	LS_COL_EMB_AGENT_NAME,
	LS_COL_EMB_CHUNK_TYPE,
	LS_COL_EMB_CHUNK_INDEX,
	LS_COL_EMB_CONTENT,
	LS_COL_EMB_METADATA,
	LS_COL_EMB_EMBEDDING,
	LS_COL_EMB_CREATED_AT,
	LS_NUM_COLUMNS
} LsColumnId;

/*
 * The parsed leadstore.table_names and leadstore.column_names: the actual
 * name of every logical table and column that is mapped (NULL: not mapped,
 * the logical name is used).  Column overrides are kept for every column of
 * the reference model, not only the ones leadstore uses, so that a setting
 * naming, say, leads.customer_name is accepted.
 */
typedef struct LsMapping
{
	char	   *tables[LS_NUM_TABLES];
	List	   *columns;		/* of LsColumnMap */
} LsMapping;

typedef struct LsColumnMap
{
	LsTable		table;
	char	   *logical;
	char	   *actual;
} LsColumnMap;

/*
 * A column as found in the catalogs for the current settings: how the
 * statements must read and write it.
 */
typedef struct LsResolvedColumn
{
	const char *name;			/* actual column name */
	Oid			type;			/* InvalidOid: absent (optional column) */
	int32		typmod;
	bool		is_text;		/* text: read and compared without a cast */
	bool		is_timestamp;	/* timestamp without time zone: UTC */
	bool		needs_cast;		/* written through an explicit cast */
} LsResolvedColumn;

/* The data model resolved for one schema and mapping */
typedef struct LsModel
{
	char	   *schema;
	const char *tables[LS_NUM_TABLES];	/* actual table names */
	Oid			relids[LS_NUM_TABLES];
	LsResolvedColumn columns[LS_NUM_COLUMNS];
} LsModel;

/*
 * Every statement leadstore runs.  Each is prepared once per backend, data
 * schema and mapping (plans.c) and kept.  The _NOWAIT twins differ only in
 * the row-locking clause.
 */
typedef enum LsPlanId
{
	LS_PLAN_LEAD_RFP,			/* the lead's rfp_id, no lock */
	LS_PLAN_SECTION_UPSERT,		/* insert ... on conflict do update */
	LS_PLAN_CHUNKS_DELETE,		/* delete a section's chunks */
	LS_PLAN_AGENT_LOCK,			/* advisory lock of a store_chunks key */
	LS_PLAN_AGENT_CHUNKS_DELETE,	/* delete an agent's chunks of a lead */
	LS_PLAN_AGENT_CHUNKS_DELETE_NOLEAD, /* ... of an RFP, no lead */
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
	LS_PLAN_DEFAULT_CMS,		/* business unit's default CMS, FOR SHARE */
	LS_PLAN_DEFAULT_CMS_NOWAIT,
	LS_PLAN_LEAD_SET_CMS,		/* update leads.selected_cms_id */
	LS_PLAN_DEEP_SCAN_SET,		/* update leads.deep_scan_* */
	LS_PLAN_SECTIONS_SINCE,		/* count a lead's sections stored since */
	LS_NUM_PLANS
} LsPlanId;

/* model.c */
extern bool ls_parse_table_names(const char *value, LsMapping *map,
								 char **bad);
extern bool ls_parse_column_names(const char *value, LsMapping *map,
								  char **bad);
extern void ls_model_resolve(LsModel *model, const char *schema,
							 const char *table_names,
							 const char *column_names, int table_mask);
extern void ls_model_require_unique_key(const LsModel *model);
extern const char *ls_logical_table_name(LsTable table);
extern const char *ls_logical_column_name(LsColumnId col);

/* plans.c */
extern SPIPlanPtr ls_plan_get(LsPlanId id);
extern bool ls_column_present(LsColumnId c);
extern Oid	ls_table_relid(LsTable t);
extern void ls_current_model(LsModel *model, int table_mask);
extern LsPlanId ls_chunk_insert_plan(int remaining, int *batch);
extern void ls_plan_execute(LsPlanId id, Datum *values, const char *nulls,
							int expected, uint64 maxrows);
extern void ls_plan_execute_crosschecked(LsPlanId id, Datum *values,
										 const char *nulls, int expected);

/* args.c */
extern char *ls_require_id(FunctionCallInfo fcinfo, int argno,
						   const char *name);
extern char *ls_optional_id(FunctionCallInfo fcinfo, int argno,
							const char *name);
extern void ls_require_not_null(FunctionCallInfo fcinfo, int argno,
								const char *name);
extern bool ls_arg_bool(FunctionCallInfo fcinfo, int argno, bool dflt);
extern char *ls_spi_text(int fnumber, bool *isnull);
extern Oid	ls_declared_argtype(FunctionCallInfo fcinfo, int argno);

/*
 * The embeddings of one call, checked: rows x dim floats at data, row-major.
 * data points into the argument itself; packed data is little-endian and
 * possibly unaligned, so it is only ever read through memcpy.
 */
typedef struct LsEmbeddings
{
	int			rows;
	int			dim;
	const char *data;
	bool		packed;
	const char *argname;
} LsEmbeddings;

/* The values every chunk row of one call shares */
typedef struct LsChunkKey
{
	Datum		rfp_id;
	Datum		lead_id;		/* (Datum) 0: NULL */
	Datum		section_id;		/* (Datum) 0: NULL */
	Datum		agent_name;
	Datum		chunk_type;
	Datum		metadata;		/* jsonb */
} LsChunkKey;

/* chunks.c */
extern Datum *ls_get_chunks(FunctionCallInfo fcinfo, int argno, int *n);
extern void ls_get_embeddings(FunctionCallInfo fcinfo, int arg_array,
							  int arg_packed, int nchunks,
							  LsEmbeddings *emb);
extern void ls_insert_chunks(Datum *chunk_texts, int nchunks,
							 const LsEmbeddings *emb, const LsChunkKey *key);

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
} LsLead;

/* lead_lock.c */
extern void ls_lock_lead(const char *lead_id, bool nowait, LsLead *lead);
extern void ls_spi_run_times(int fnumber, LsLead *lead);
extern pg_noreturn void ls_lead_not_found(const char *lead_id);
extern char *ls_lead_rfp_id(const char *lead_id);

/* uuidv7.c */
extern void ls_uuidv7_text(char *buf);

#endif							/* LEADSTORE_H */
