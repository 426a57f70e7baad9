/*-------------------------------------------------------------------------
 *
 * leadstore.c
 *	  Module entry: PG_MODULE_MAGIC, _PG_init and the two settings.
 *
 * leadstore's functions do multi-table writes for a lead-qualification
 * application atomically inside the caller's transaction.  They live in
 * section_store.c, cms_select.c and deep_scan.c; the statements they run are
 * prepared once per backend in plans.c.
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
 * _PG_init -- module load callback
 *		Defines the settings.  Both are PGC_USERSET so that ALTER DATABASE/ROLE
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

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("leadstore");
#else
	EmitWarningsOnPlaceholders("leadstore");
#endif
}
