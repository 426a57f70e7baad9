/*-------------------------------------------------------------------------
 *
 * leadstore.c
 *	  Module entry: PG_MODULE_MAGIC, _PG_init and the two settings.
 *
 * leadstore's functions do multi-table writes for a lead-qualification
 * application atomically inside the caller's transaction.  They live in
 * section_store.c, chunk_store.c, cms_select.c and deep_scan.c; the
 * statements they run are built from the data model (model.c) and prepared
 * once per backend in plans.c; check_data_model.c reports on the model.
 *
 * IDENTIFICATION
 *	  src/leadstore.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "leadstore.h"

PG_MODULE_MAGIC;

/* GUC variables; assigned only by the GUC machinery */
char	   *leadstore_data_schema = NULL;
int			leadstore_embedding_dimensions = 0;
char	   *leadstore_table_names = NULL;
char	   *leadstore_column_names = NULL;

void		_PG_init(void);

/*
 * check_data_schema -- GUC check hook for leadstore.data_schema
 *		Checks syntax only: a non-empty name that fits in a NameData.  Whether
 *		the schema and its tables exist is checked at call time, so that the
 *		setting can be made (ALTER DATABASE ... SET) before the schema exists.
 */
static bool
check_data_schema(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
	{
		GUC_check_errdetail("The schema name must not be empty.");
		return false;
	}
	if (strlen(*newval) >= NAMEDATALEN)
	{
		GUC_check_errdetail("The schema name must be shorter than %d bytes.",
							NAMEDATALEN);
		return false;
	}
	return true;
}

/*
 * check_table_names -- GUC check hook for leadstore.table_names
 *		Parses the list; a malformed pair or an unknown logical table is
 *		refused with 22023 (the GUC machinery's code for a rejected value),
 *		naming the pair.  The parse is repeated when plans are built: it is
 *		cheap and keeps nothing in the GUC's extra data.
 */
static bool
check_table_names(char **newval, void **extra, GucSource source)
{
	LsMapping	map;
	char	   *bad = NULL;

	memset(&map, 0, sizeof(map));
	if (*newval == NULL || ls_parse_table_names(*newval, &map, &bad))
		return true;
	GUC_check_errdetail("%s", bad);
	return false;
}

/*
 * check_column_names -- GUC check hook for leadstore.column_names
 */
static bool
check_column_names(char **newval, void **extra, GucSource source)
{
	LsMapping	map;
	char	   *bad = NULL;

	memset(&map, 0, sizeof(map));
	if (*newval == NULL || ls_parse_column_names(*newval, &map, &bad))
		return true;
	GUC_check_errdetail("%s", bad);
	return false;
}

/*
 * _PG_init -- module load callback
 *		Defines the settings.  All are PGC_USERSET so that ALTER DATABASE/ROLE
 *		SET and SET LOCAL work.
 */
void
_PG_init(void)
{
	DefineCustomStringVariable("leadstore.data_schema",
							   "Sets the schema that holds the leadstore data-model tables.",
							   "The name is used verbatim (case-sensitive, not an identifier list) "
							   "and always quoted; nothing resolves through search_path.",
							   &leadstore_data_schema,
							   "public",
							   PGC_USERSET,
							   0,
							   check_data_schema, NULL, NULL);

	DefineCustomIntVariable("leadstore.embedding_dimensions",
							"Sets the number of elements every embedding must have.",
							"0 (the default) accepts any dimension from 1 to 16000; "
							"a value from 1 to 16000 requires exactly that many.",
							&leadstore_embedding_dimensions,
							0, 0, LS_MAX_DIMENSIONS,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("leadstore.table_names",
							   "Maps leadstore's logical table names to the application's tables.",
							   "A comma-separated list of logical=actual pairs, e.g. "
							   "'leads=qualifications, rfp_embeddings=deal_embeddings'; "
							   "identifiers as in search_path.  Unmapped tables keep their logical names.",
							   &leadstore_table_names,
							   "",
							   PGC_USERSET,
							   0,
							   check_table_names, NULL, NULL);

	DefineCustomStringVariable("leadstore.column_names",
							   "Maps leadstore's logical column names to the application's columns.",
							   "A comma-separated list of table.column=actual pairs with logical table "
							   "and column names, e.g. 'leads.rfp_id=pre_qualification_id'.  "
							   "Unmapped columns keep their logical names.",
							   &leadstore_column_names,
							   "",
							   PGC_USERSET,
							   0,
							   check_column_names, NULL, NULL);

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("leadstore");
#else
	EmitWarningsOnPlaceholders("leadstore");
#endif
}
