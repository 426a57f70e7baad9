/*-------------------------------------------------------------------------
 *
 * model.h
 *	  The data model's column table and the helpers that model.c shares
 *	  with plans.c and check_data_model.c.
 *
 * IDENTIFICATION
 *	  src/model.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADSTORE_MODEL_H
#define LEADSTORE_MODEL_H

#include "leadstore.h"

/* The kind of value leadstore puts in (or reads from) a column */
typedef enum LsValueKind
{
	LS_VALUE_TEXT,				/* ids, status, names: text */
	LS_VALUE_TIMESTAMP,			/* timestamptz, or timestamp holding UTC */
	LS_VALUE_JSON,				/* jsonb */
	LS_VALUE_INT,				/* integer */
	LS_VALUE_BOOL,				/* boolean condition */
	LS_VALUE_EMBEDDING			/* real[] */
} LsValueKind;

/* How statements use a column (bits) */
#define LS_USE_READ		0x01	/* read into the function */
#define LS_USE_WRITE	0x02	/* written from a value of its kind */
#define LS_USE_COMPARE	0x04	/* compared with a value of its kind */
#define LS_USE_OPTIONAL 0x08	/* may be absent */

typedef struct LsColumnDef
{
	LsTable		table;
	const char *name;			/* logical name */
	LsValueKind value;
	int			use;
	const char *ref_type;		/* type in the reference model, for fixes */
} LsColumnDef;

extern const LsColumnDef ls_columns[LS_NUM_COLUMNS];

#define LS_MODEL_HINT \
	"Apply leadstore_data_model.sql (in the extension directory), or map your own tables with leadstore.table_names and leadstore.column_names; leadstore.check_data_model() lists what is missing."

extern void ls_mapping_build(LsMapping *map, const char *table_names,
							 const char *column_names);
extern const char *ls_mapped_column(const LsMapping *map, LsTable table,
									const char *name);
extern const char *ls_column_problem(const LsColumnDef *def, Oid type,
									 LsResolvedColumn *rc);
extern Oid	ls_lookup_namespace(const char *name);
extern Oid	ls_lookup_relation(const char *name, Oid nspid);
extern Oid	ls_find_index(Oid relid, AttrNumber a1, AttrNumber a2,
						  bool unique);
extern void ls_unique_key_sql(const LsModel *model, char **create,
							  char **duplicates, char **dedupe);

#endif							/* LEADSTORE_MODEL_H */
