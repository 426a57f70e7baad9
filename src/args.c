/*-------------------------------------------------------------------------
 *
 * args.c
 *	  Argument checks shared by every leadstore function, and a helper to
 *	  read text out of an SPI result row.
 *
 * The SQL functions are not STRICT: a NULL in a required argument must raise
 * 22004 rather than quietly return NULL.  Optional arguments with a non-NULL
 * default (nowait, chunk_type, stale_after) take that default when an ORM
 * passes an explicit NULL for "not given".
 *
 * IDENTIFICATION
 *	  src/args.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "leadstore.h"

/*
 * ls_require_not_null -- 22004 when argument argno is NULL
 */
void
ls_require_not_null(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/*
 * ls_require_id -- a required, non-empty text id argument as a C string
 *		22004 when NULL, 22023 when empty.
 */
char *
ls_require_id(FunctionCallInfo fcinfo, int argno, const char *name)
{
	ls_require_not_null(fcinfo, argno, name);
	return ls_optional_id(fcinfo, argno, name);
}

/*
 * ls_optional_id -- like ls_require_id, but NULL gives NULL
 */
char *
ls_optional_id(FunctionCallInfo fcinfo, int argno, const char *name)
{
	char	   *id;

	if (PG_ARGISNULL(argno))
		return NULL;
	id = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (id[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", name)));
	return id;
}

/*
 * ls_arg_bool -- an optional boolean argument; NULL gives the default
 */
bool
ls_arg_bool(FunctionCallInfo fcinfo, int argno, bool dflt)
{
	return PG_ARGISNULL(argno) ? dflt : PG_GETARG_BOOL(argno);
}

/*
 * ls_spi_text -- column fnumber (1-based) of the first SPI result row as a
 *		C string palloc'd in the current context, or NULL with *isnull set.
 */
char *
ls_spi_text(int fnumber, bool *isnull)
{
	Datum		d;
	bool		null;

	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
					  fnumber, &null);
	if (isnull)
		*isnull = null;
	return null ? NULL : TextDatumGetCString(d);
}

/*
 * ls_declared_argtype -- the type that the SQL declaration of the called
 *		function gives argument argno
 *		After the library is updated and before ALTER EXTENSION UPDATE runs,
 *		the previous version's declarations call the new code: an argument
 *		whose type changed between versions must be read by its declared
 *		type.  Looked up once per call site (cached in fn_extra).
 */
Oid
ls_declared_argtype(FunctionCallInfo fcinfo, int argno)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	Oid		   *types = (Oid *) flinfo->fn_extra;

	if (types == NULL)
	{
		Oid		   *argtypes;
		int			nargs;

		(void) get_func_signature(flinfo->fn_oid, &argtypes, &nargs);
		types = MemoryContextAlloc(flinfo->fn_mcxt, sizeof(Oid) * (nargs + 1));
		memcpy(types, argtypes, sizeof(Oid) * nargs);
		types[nargs] = InvalidOid;
		flinfo->fn_extra = types;
	}
	return types[argno];
}
