/*-------------------------------------------------------------------------
 *
 * model.c
 *	  The data model: logical tables and columns, their mapping to the
 *	  application's own names (leadstore.table_names, leadstore.column_names),
 *	  and their resolution against the catalogs.
 *
 * leadstore's statements are written against the logical model of
 * leadstore_data_model.sql.  An application keeps its own names and, within
 * limits, its own types: a column may have any type that PostgreSQL assigns
 * from the value leadstore writes (jsonb into text or json, real[] into
 * pgvector's vector, integer into smallint or numeric, ...), and timestamps
 * may be timestamp without time zone, which leadstore writes and reads as
 * UTC.  ls_model_resolve finds every table and column a statement needs and
 * decides how the statement must read, compare and write each; what cannot
 * work is reported here, with the application's own names, before anything
 * is prepared.  check_data_model.c reports the same findings as rows.
 *
 * IDENTIFICATION
 *	  src/model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "nodes/pg_list.h"
#include "parser/parse_coerce.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "leadstore.h"
#include "model.h"

static const char *const logical_tables[LS_NUM_TABLES] = {
	"leads", "technologies", "lead_section_data", "rfp_embeddings",
	"business_units", "rfps"
};

/*
 * Every column of the reference data model, by table: the names
 * leadstore.column_names accepts.  Most are never read by leadstore.
 */
static const char *const model_columns[LS_NUM_TABLES][12] = {
	[LS_TABLE_LEADS] = {"id", "rfp_id", "business_unit_id", "customer_name",
		"deep_scan_status", "deep_scan_started_at", "deep_scan_completed_at",
	"deep_scan_error", "selected_cms_id", "created_at", "updated_at", NULL},
	[LS_TABLE_TECHNOLOGIES] = {"id", "name", "business_unit_id", "category",
	"is_default", "created_at", "updated_at", NULL},
	[LS_TABLE_SECTIONS] = {"id", "lead_id", "section_id", "content",
	"confidence", "sources", "created_at", "updated_at", NULL},
	[LS_TABLE_EMBEDDINGS] = {"id", "rfp_id", "lead_id", "section_id",
		"agent_name", "chunk_type", "chunk_index", "content", "metadata",
	"embedding", "created_at", NULL},
	[LS_TABLE_BUSINESS_UNITS] = {"id", "name", "created_at", "updated_at",
	NULL},
	[LS_TABLE_RFPS] = {"id", "title", "created_at", NULL},
};

#define RD	LS_USE_READ
#define WR	LS_USE_WRITE
#define CMP LS_USE_COMPARE
#define OPT LS_USE_OPTIONAL

/* The columns leadstore uses, in LsColumnId order */
const LsColumnDef ls_columns[LS_NUM_COLUMNS] = {
	[LS_COL_LEADS_ID] = {LS_TABLE_LEADS, "id", LS_VALUE_TEXT, CMP, "text"},
	[LS_COL_LEADS_RFP_ID] = {LS_TABLE_LEADS, "rfp_id", LS_VALUE_TEXT, RD, "text"},
	[LS_COL_LEADS_BUSINESS_UNIT_ID] = {LS_TABLE_LEADS, "business_unit_id",
	LS_VALUE_TEXT, RD, "text"},
	[LS_COL_LEADS_SELECTED_CMS_ID] = {LS_TABLE_LEADS, "selected_cms_id",
	LS_VALUE_TEXT, RD | WR, "text"},
	[LS_COL_LEADS_STATUS] = {LS_TABLE_LEADS, "deep_scan_status",
	LS_VALUE_TEXT, RD | WR, "text"},
	[LS_COL_LEADS_STARTED_AT] = {LS_TABLE_LEADS, "deep_scan_started_at",
	LS_VALUE_TIMESTAMP, RD | WR, "timestamptz"},
	[LS_COL_LEADS_COMPLETED_AT] = {LS_TABLE_LEADS, "deep_scan_completed_at",
	LS_VALUE_TIMESTAMP, RD | WR, "timestamptz"},
	[LS_COL_LEADS_ERROR] = {LS_TABLE_LEADS, "deep_scan_error",
	LS_VALUE_TEXT, WR | OPT, "text"},
	[LS_COL_LEADS_UPDATED_AT] = {LS_TABLE_LEADS, "updated_at",
	LS_VALUE_TIMESTAMP, WR, "timestamptz"},
	[LS_COL_TECH_ID] = {LS_TABLE_TECHNOLOGIES, "id", LS_VALUE_TEXT, CMP, "text"},
	[LS_COL_TECH_BUSINESS_UNIT_ID] = {LS_TABLE_TECHNOLOGIES, "business_unit_id",
	LS_VALUE_TEXT, RD | CMP, "text"},
	[LS_COL_TECH_CATEGORY] = {LS_TABLE_TECHNOLOGIES, "category",
	LS_VALUE_TEXT, RD, "text"},
	[LS_COL_TECH_IS_DEFAULT] = {LS_TABLE_TECHNOLOGIES, "is_default",
	LS_VALUE_BOOL, RD, "boolean NOT NULL DEFAULT false"},
	[LS_COL_SECT_ID] = {LS_TABLE_SECTIONS, "id", LS_VALUE_TEXT, RD | WR, "text"},
	[LS_COL_SECT_LEAD_ID] = {LS_TABLE_SECTIONS, "lead_id", LS_VALUE_TEXT,
	WR | CMP, "text"},
	[LS_COL_SECT_SECTION_ID] = {LS_TABLE_SECTIONS, "section_id", LS_VALUE_TEXT,
	WR, "text"},
	[LS_COL_SECT_CONTENT] = {LS_TABLE_SECTIONS, "content", LS_VALUE_JSON, WR,
	"jsonb"},
	[LS_COL_SECT_CONFIDENCE] = {LS_TABLE_SECTIONS, "confidence", LS_VALUE_INT,
	WR, "integer"},
	[LS_COL_SECT_SOURCES] = {LS_TABLE_SECTIONS, "sources", LS_VALUE_JSON, WR,
	"jsonb"},
	[LS_COL_SECT_CREATED_AT] = {LS_TABLE_SECTIONS, "created_at",
	LS_VALUE_TIMESTAMP, WR, "timestamptz"},
	[LS_COL_SECT_UPDATED_AT] = {LS_TABLE_SECTIONS, "updated_at",
	LS_VALUE_TIMESTAMP, WR | CMP, "timestamptz"},
	[LS_COL_EMB_ID] = {LS_TABLE_EMBEDDINGS, "id", LS_VALUE_TEXT, WR, "text"},
	[LS_COL_EMB_RFP_ID] = {LS_TABLE_EMBEDDINGS, "rfp_id", LS_VALUE_TEXT,
	WR | CMP, "text"},
	[LS_COL_EMB_LEAD_ID] = {LS_TABLE_EMBEDDINGS, "lead_id", LS_VALUE_TEXT,
	WR | CMP, "text"},
	[LS_COL_EMB_SECTION_ID] = {LS_TABLE_EMBEDDINGS, "section_id", LS_VALUE_TEXT,
	WR | CMP, "text"},
	[LS_COL_EMB_AGENT_NAME] = {LS_TABLE_EMBEDDINGS, "agent_name", LS_VALUE_TEXT,
	WR | CMP, "text"},
	[LS_COL_EMB_CHUNK_TYPE] = {LS_TABLE_EMBEDDINGS, "chunk_type", LS_VALUE_TEXT,
	WR, "text"},
	[LS_COL_EMB_CHUNK_INDEX] = {LS_TABLE_EMBEDDINGS, "chunk_index",
	LS_VALUE_INT, WR, "integer"},
	[LS_COL_EMB_CONTENT] = {LS_TABLE_EMBEDDINGS, "content", LS_VALUE_TEXT, WR,
	"text"},
	[LS_COL_EMB_METADATA] = {LS_TABLE_EMBEDDINGS, "metadata", LS_VALUE_JSON,
	WR, "jsonb"},
	[LS_COL_EMB_EMBEDDING] = {LS_TABLE_EMBEDDINGS, "embedding",
	LS_VALUE_EMBEDDING, WR, "real[]"},
	[LS_COL_EMB_CREATED_AT] = {LS_TABLE_EMBEDDINGS, "created_at",
	LS_VALUE_TIMESTAMP, WR, "timestamptz"},
};

/*
 * ls_logical_table_name -- the reference data model's name of a table
 */
const char *
ls_logical_table_name(LsTable table)
{
	return logical_tables[table];
}

/*
 * ls_logical_column_name -- "table.column" in the reference data model
 */
const char *
ls_logical_column_name(LsColumnId col)
{
	return psprintf("%s.%s", logical_tables[ls_columns[col].table],
					ls_columns[col].name);
}

/*
 * Parsing the mapping settings.  The grammar, with identifiers as in
 * search_path (unquoted ones folded to lower case, "double quotes" keep
 * case and may hold any character, "" is a quote):
 *
 *		table_names:  [ name = name { , name = name } ]
 *		column_names: [ name . name = name { , name . name = name } ]
 *
 * The parser never raises an error: it runs in GUC check hooks, which report
 * a bad value through GUC_check_errdetail.  On failure *bad is the offending
 * pair, as written.
 */
typedef struct MapParser
{
	const char *s;
	const char *p;
} MapParser;

static void
skip_space(MapParser *mp)
{
	while (*mp->p != '\0' && scanner_isspace(*mp->p))
		mp->p++;
}

/*
 * parse_name -- one identifier at mp->p, folded; NULL when there is none
 */
static char *
parse_name(MapParser *mp)
{
	skip_space(mp);
	if (*mp->p == '"')
	{
		StringInfoData buf;

		initStringInfo(&buf);
		mp->p++;
		for (;;)
		{
			if (*mp->p == '\0')
				return NULL;	/* unterminated */
			if (*mp->p == '"')
			{
				if (mp->p[1] != '"')
					break;
				mp->p++;
			}
			appendStringInfoChar(&buf, *mp->p);
			mp->p++;
		}
		mp->p++;
		if (buf.len == 0 || buf.len >= NAMEDATALEN)
			return NULL;
		return buf.data;
	}
	else
	{
		const char *start = mp->p;

		while (*mp->p != '\0' && *mp->p != ',' && *mp->p != '=' &&
			   *mp->p != '.' && *mp->p != '"' && !scanner_isspace(*mp->p))
			mp->p++;
		if (mp->p == start || mp->p - start >= NAMEDATALEN)
			return NULL;
		return downcase_truncate_identifier(start, mp->p - start, false);
	}
}

/*
 * bad_pair -- the text of the pair starting at start, for messages
 */
static char *
bad_pair(const char *start)
{
	const char *end = start;
	bool		quoted = false;

	while (*start != '\0' && scanner_isspace(*start))
		start++;
	for (end = start; *end != '\0' && (quoted || *end != ','); end++)
		if (*end == '"')
			quoted = !quoted;
	return pnstrdup(start, end - start);
}

static int
find_table(const char *name)
{
	int			t;

	for (t = 0; t < LS_NUM_TABLES; t++)
		if (strcmp(logical_tables[t], name) == 0)
			return t;
	return -1;
}

static bool
known_column(int table, const char *name)
{
	int			i;

	for (i = 0; model_columns[table][i] != NULL; i++)
		if (strcmp(model_columns[table][i], name) == 0)
			return true;
	return false;
}

/*
 * parse_mapping -- shared by the two settings; with_column selects the
 *		"table.column" form on the left
 */
static bool
parse_mapping(const char *value, bool with_column, LsMapping *map,
			  char **bad, const char **why)
{
	MapParser	mp;

	mp.s = value;
	mp.p = value;
	skip_space(&mp);
	if (*mp.p == '\0')
		return true;

	for (;;)
	{
		const char *start = mp.p;
		char	   *tname;
		char	   *cname = NULL;
		char	   *actual;
		int			table;

		tname = parse_name(&mp);
		if (tname != NULL && with_column)
		{
			skip_space(&mp);
			if (*mp.p == '.')
			{
				mp.p++;
				cname = parse_name(&mp);
			}
		}
		skip_space(&mp);
		if (tname == NULL || (with_column && cname == NULL) || *mp.p != '=')
		{
			*bad = bad_pair(start);
			*why = with_column ?
				"Each entry must be logical_table.logical_column=actual_column." :
				"Each entry must be logical_table=actual_table.";
			return false;
		}
		mp.p++;
		actual = parse_name(&mp);
		skip_space(&mp);
		if (actual == NULL || (*mp.p != ',' && *mp.p != '\0'))
		{
			*bad = bad_pair(start);
			*why = "The actual name must be one identifier.";
			return false;
		}

		table = find_table(tname);
		if (table < 0)
		{
			*bad = bad_pair(start);
			*why = "The logical table names are business_units, technologies, rfps, leads, lead_section_data and rfp_embeddings.";
			return false;
		}
		if (!with_column)
		{
			if (map->tables[table] != NULL)
			{
				*bad = bad_pair(start);
				*why = "A logical table may be mapped only once.";
				return false;
			}
			map->tables[table] = actual;
		}
		else
		{
			ListCell   *lc;
			LsColumnMap *cm;

			if (!known_column(table, cname))
			{
				*bad = bad_pair(start);
				*why = "The logical column is not a column of that table in the reference data model.";
				return false;
			}
			foreach(lc, map->columns)
			{
				cm = (LsColumnMap *) lfirst(lc);
				if ((int) cm->table == table && strcmp(cm->logical, cname) == 0)
				{
					*bad = bad_pair(start);
					*why = "A logical column may be mapped only once.";
					return false;
				}
			}
			cm = palloc(sizeof(LsColumnMap));
			cm->table = table;
			cm->logical = cname;
			cm->actual = actual;
			map->columns = lappend(map->columns, cm);
		}

		if (*mp.p == '\0')
			return true;
		mp.p++;					/* the comma */
	}
}

/*
 * parse_setting -- parse one mapping setting into map; on failure *bad is
 *		a message naming the setting and the bad pair
 */
static bool
parse_setting(const char *setting, const char *value, bool with_column,
			  LsMapping *map, char **bad)
{
	char	   *pair = NULL;
	const char *why = NULL;

	if (parse_mapping(value, with_column, map, &pair, &why))
		return true;
	if (pair[0] == '\0')
		*bad = psprintf("An entry of %s is empty (a doubled or trailing comma?).  %s",
						setting, why);
	else
		*bad = psprintf("Invalid entry \"%s\" in %s.  %s", pair, setting, why);
	return false;
}

/*
 * ls_parse_table_names -- parse leadstore.table_names into map
 *		Returns false with *bad set to a message naming the bad pair.
 */
bool
ls_parse_table_names(const char *value, LsMapping *map, char **bad)
{
	return parse_setting("leadstore.table_names", value, false, map, bad);
}

/*
 * ls_parse_column_names -- parse leadstore.column_names into map
 */
bool
ls_parse_column_names(const char *value, LsMapping *map, char **bad)
{
	return parse_setting("leadstore.column_names", value, true, map, bad);
}

/*
 * ls_mapping_build -- parse both settings (already checked by their hooks)
 */
void
ls_mapping_build(LsMapping *map, const char *table_names,
				 const char *column_names)
{
	char	   *bad;

	memset(map, 0, sizeof(*map));
	if (!ls_parse_table_names(table_names ? table_names : "", map, &bad) ||
		!ls_parse_column_names(column_names ? column_names : "", map, &bad))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid leadstore mapping setting"),
				 errdetail_internal("%s", bad)));
}

/*
 * ls_mapped_column -- the actual name of logical column name of table
 */
const char *
ls_mapped_column(const LsMapping *map, LsTable table, const char *name)
{
	ListCell   *lc;

	foreach(lc, map->columns)
	{
		LsColumnMap *cm = (LsColumnMap *) lfirst(lc);

		if (cm->table == table && strcmp(cm->logical, name) == 0)
			return cm->actual;
	}
	return name;
}

/*
 * ls_column_problem -- whether a column of type type can serve as def
 *		Returns NULL when it can, filling *rc with how statements use it;
 *		otherwise what leadstore needs, for messages.
 */
const char *
ls_column_problem(const LsColumnDef *def, Oid type, LsResolvedColumn *rc)
{
	Oid			from;
	char		category;
	bool		preferred;

	rc->type = type;
	rc->is_text = (type == TEXTOID);
	rc->is_timestamp = false;
	rc->needs_cast = false;

	switch (def->value)
	{
		case LS_VALUE_TIMESTAMP:
			if (type == TIMESTAMPOID)
				rc->is_timestamp = true;
			else if (type != TIMESTAMPTZOID)
				return "timestamp with time zone, or timestamp without time zone holding UTC";
			return NULL;
		case LS_VALUE_BOOL:
			if (type != BOOLOID)
				return "boolean";
			return NULL;
		case LS_VALUE_TEXT:
			from = TEXTOID;
			break;
		case LS_VALUE_JSON:
			from = JSONBOID;
			break;
		case LS_VALUE_INT:
			from = INT4OID;
			break;
		case LS_VALUE_EMBEDDING:
			from = FLOAT4ARRAYOID;
			break;
		default:
			elog(ERROR, "unknown column kind %d", (int) def->value);
	}

	if ((def->use & LS_USE_WRITE) &&
		!can_coerce_type(1, &from, &type, COERCION_ASSIGNMENT))
	{
		/* an enum status is written through an explicit cast */
		if (def->value == LS_VALUE_TEXT && type_is_enum(type))
			rc->needs_cast = true;
		else
			switch (def->value)
			{
				case LS_VALUE_TEXT:
					return "a type that text can be assigned to (text, varchar)";
				case LS_VALUE_JSON:
					return "a type that jsonb can be assigned to (jsonb, json, text)";
				case LS_VALUE_INT:
					return "a type that integer can be assigned to (integer, smallint, bigint, numeric, real)";
				default:
					return "a type that real[] can be assigned to (real[], or pgvector's vector or halfvec)";
			}
	}

	/*
	 * A compared id that is not of a string type is compared with the text
	 * value cast to the column's type, so that its index can serve.
	 */
	if ((def->use & LS_USE_COMPARE) && def->value == LS_VALUE_TEXT)
	{
		get_type_category_preferred(type, &category, &preferred);
		if (category != TYPCATEGORY_STRING)
			rc->needs_cast = true;
	}
	return NULL;
}

/*
 * ls_lookup_namespace -- the oid of schema name, InvalidOid when none
 *		Scans pg_namespace's index rather than asking the syscache: a miss
 *		there leaves a negative cache entry for the life of the backend, so a
 *		pooled connection handed many schema names that do not exist would
 *		grow by one entry per name.
 */
Oid
ls_lookup_namespace(const char *name)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	NameData	n;
	Oid			oid = InvalidOid;

	namestrcpy(&n, name);
	rel = table_open(NamespaceRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_namespace_nspname, BTEqualStrategyNumber,
				F_NAMEEQ, NameGetDatum(&n));
	scan = systable_beginscan(rel, NamespaceNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		oid = ((Form_pg_namespace) GETSTRUCT(tup))->oid;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return oid;
}

/*
 * ls_lookup_relation -- the oid of relation name in schema nspid, or
 *		InvalidOid; without a negative syscache entry (as above)
 */
Oid
ls_lookup_relation(const char *name, Oid nspid)
{
	Relation	rel;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	NameData	n;
	Oid			oid = InvalidOid;

	namestrcpy(&n, name);
	rel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_class_relname, BTEqualStrategyNumber,
				F_NAMEEQ, NameGetDatum(&n));
	ScanKeyInit(&key[1], Anum_pg_class_relnamespace, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(nspid));
	scan = systable_beginscan(rel, ClassNameNspIndexId, true, NULL, 2, key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		oid = ((Form_pg_class) GETSTRUCT(tup))->oid;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return oid;
}

/*
 * describe_logical -- errdetail naming the logical table or column, when
 *		the application's name differs
 */
static int
describe_logical(const char *actual, const char *logical, const char *what)
{
	if (strcmp(actual, logical) == 0)
		return errdetail("leadstore needs the %s \"%s\" of its data model.",
						 what, logical);
	return errdetail("leadstore uses it as the %s \"%s\" of its data model.",
					 what, logical);
}

/*
 * ls_model_resolve -- find the tables in table_mask and their columns for
 *		schema and the mapping, and decide how statements use each column
 *		Raises 42P01 (schema or table missing, or not a table), 42703 (column
 *		missing) or 42804 (a type that cannot work), naming the actual
 *		table and column.
 */
void
ls_model_resolve(LsModel *model, const char *schema, const char *table_names,
				 const char *column_names, int table_mask)
{
	LsMapping	map;
	Oid			nspid;
	int			t;
	int			c;

	ls_mapping_build(&map, table_names, column_names);
	memset(model, 0, sizeof(*model));
	model->schema = pstrdup(schema);
	for (t = 0; t < LS_NUM_TABLES; t++)
		model->tables[t] = map.tables[t] ? map.tables[t] : logical_tables[t];
	for (c = 0; c < LS_NUM_COLUMNS; c++)
		model->columns[c].name = ls_mapped_column(&map, ls_columns[c].table,
												  ls_columns[c].name);

	nspid = ls_lookup_namespace(schema);
	if (!OidIsValid(nspid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("leadstore data schema \"%s\" does not exist", schema),
				 errdetail("leadstore.data_schema names the schema of the data-model tables."),
				 errhint(LS_MODEL_HINT)));

	for (t = 0; t < LS_NUM_USED_TABLES; t++)
	{
		char		relkind;

		if ((table_mask & LS_T(t)) == 0)
			continue;
		model->relids[t] = ls_lookup_relation(model->tables[t], nspid);
		if (!OidIsValid(model->relids[t]))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation \"%s.%s\" does not exist",
							schema, model->tables[t]),
					 describe_logical(model->tables[t], logical_tables[t],
									  "table"),
					 errhint(LS_MODEL_HINT)));
		relkind = get_rel_relkind(model->relids[t]);
		if (relkind != RELKIND_RELATION &&
			relkind != RELKIND_PARTITIONED_TABLE)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation \"%s.%s\" is not a table",
							schema, model->tables[t]),
					 describe_logical(model->tables[t], logical_tables[t],
									  "table"),
					 errhint(LS_MODEL_HINT)));
	}

	for (c = 0; c < LS_NUM_COLUMNS; c++)
	{
		const LsColumnDef *def = &ls_columns[c];
		LsResolvedColumn *rc = &model->columns[c];
		Oid			relid = model->relids[def->table];
		AttrNumber	attnum;
		Oid			collation;
		const char *needs;

		if ((table_mask & LS_T(def->table)) == 0)
			continue;
		attnum = get_attnum(relid, rc->name);
		if (attnum == InvalidAttrNumber || attnum < 0)
		{
			if (def->use & LS_USE_OPTIONAL)
				continue;		/* type stays InvalidOid: absent */
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s.%s\" does not exist",
							rc->name, schema, model->tables[def->table]),
					 describe_logical(rc->name, ls_logical_column_name(c),
									  "column"),
					 errhint(LS_MODEL_HINT)));
		}
		get_atttypetypmodcoll(relid, attnum, &rc->type, &rc->typmod,
							  &collation);
		needs = ls_column_problem(def, rc->type, rc);
		if (needs != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of relation \"%s.%s\" has type %s",
							rc->name, schema, model->tables[def->table],
							format_type_with_typemod(rc->type, rc->typmod)),
					 errdetail("leadstore writes or reads it as %s and needs %s.",
							   ls_logical_column_name(c), needs),
					 errhint("leadstore.check_data_model() shows the statement that changes the type.")));
	}
}

/*
 * ls_find_unique_key -- the oid of a unique index that ON CONFLICT can use
 *		as the arbiter of (a1, a2) of relid: valid, immediate, not partial,
 *		on exactly those two plain columns; InvalidOid when there is none
 */
Oid
ls_find_index(Oid relid, AttrNumber a1, AttrNumber a2, bool unique)
{
	Relation	rel = table_open(relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			found = InvalidOid;

	foreach(lc, indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		HeapTuple	tup = SearchSysCache1(INDEXRELID,
										  ObjectIdGetDatum(indexoid));
		Form_pg_index idx;
		bool		ok;

		if (!HeapTupleIsValid(tup))
			continue;
		idx = (Form_pg_index) GETSTRUCT(tup);
		if (unique)
			ok = idx->indisunique && idx->indimmediate && idx->indisvalid &&
				idx->indnkeyatts == 2 &&
				heap_attisnull(tup, Anum_pg_index_indexprs, NULL) &&
				heap_attisnull(tup, Anum_pg_index_indpred, NULL) &&
				((idx->indkey.values[0] == a1 && idx->indkey.values[1] == a2) ||
				 (idx->indkey.values[0] == a2 && idx->indkey.values[1] == a1));
		else
			ok = idx->indisvalid && idx->indnkeyatts >= 2 &&
				idx->indkey.values[0] == a1 && idx->indkey.values[1] == a2 &&
				heap_attisnull(tup, Anum_pg_index_indpred, NULL);
		ReleaseSysCache(tup);
		if (ok)
		{
			found = indexoid;
			break;
		}
	}
	list_free(indexes);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * ls_unique_key_fix -- the statements that resolve duplicates and create
 *		the unique index of the section table, and the query listing them
 */
void
ls_unique_key_sql(const LsModel *model, char **create, char **duplicates,
				  char **dedupe)
{
	const char *qtable = quote_qualified_identifier(model->schema,
													model->tables[LS_TABLE_SECTIONS]);
	const char *lead = quote_identifier(model->columns[LS_COL_SECT_LEAD_ID].name);
	const char *section = quote_identifier(model->columns[LS_COL_SECT_SECTION_ID].name);
	char		name[NAMEDATALEN];

	snprintf(name, sizeof(name), "%s_%s_%s_key",
			 model->tables[LS_TABLE_SECTIONS],
			 model->columns[LS_COL_SECT_LEAD_ID].name,
			 model->columns[LS_COL_SECT_SECTION_ID].name);
	*create = psprintf("CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s, %s)",
					   quote_identifier(name), qtable, lead, section);
	*duplicates = psprintf("SELECT %s, %s, count(*) FROM %s GROUP BY 1, 2 HAVING count(*) > 1",
						   lead, section, qtable);
	*dedupe = psprintf("DELETE FROM %s d WHERE d.ctid IN (SELECT x.ctid FROM (SELECT ctid, "
					   "row_number() OVER (PARTITION BY %s, %s ORDER BY %s DESC NULLS LAST, %s DESC) AS n "
					   "FROM %s) x WHERE x.n > 1)",
					   qtable, lead, section,
					   quote_identifier(model->columns[LS_COL_SECT_UPDATED_AT].name),
					   quote_identifier(model->columns[LS_COL_SECT_ID].name),
					   qtable);
}

/*
 * ls_model_require_unique_key -- 42P10 unless the section table has a
 *		unique index on (lead_id, section_id), which the upsert's ON CONFLICT
 *		needs; the hint gives the statements that create it
 */
void
ls_model_require_unique_key(const LsModel *model)
{
	Oid			relid = model->relids[LS_TABLE_SECTIONS];
	AttrNumber	a1 = get_attnum(relid, model->columns[LS_COL_SECT_LEAD_ID].name);
	AttrNumber	a2 = get_attnum(relid, model->columns[LS_COL_SECT_SECTION_ID].name);
	char	   *create;
	char	   *duplicates;
	char	   *dedupe;

	if (OidIsValid(ls_find_index(relid, a1, a2, true)))
		return;
	ls_unique_key_sql(model, &create, &duplicates, &dedupe);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
			 errmsg("relation \"%s.%s\" has no unique index on (%s, %s)",
					model->schema, model->tables[LS_TABLE_SECTIONS],
					model->columns[LS_COL_SECT_LEAD_ID].name,
					model->columns[LS_COL_SECT_SECTION_ID].name),
			 errdetail("leadstore stores one row per lead and section and needs the unique index to upsert it."),
			 errhint("Create it with: %s;  Rows that share a lead and section must be resolved first; list them with: %s;",
					 create, duplicates)));
}
