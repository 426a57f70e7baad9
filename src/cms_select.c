/*-------------------------------------------------------------------------
 *
 * cms_select.c
 *	  CMS selection for a lead with row locking: select_cms, select_cms_if,
 *	  clear_cms_selection and select_default_cms.
 *
 * Each function locks the lead FOR NO KEY UPDATE and reads it under the lock,
 * then locks the chosen technology FOR SHARE (select_cms and select_cms_if
 * take both in one statement, plans.c), so that neither the lead's business
 * unit nor the technology's business unit and category can change between
 * the check and the commit.  Always the lead first and
 * the technology second, so two selections cannot deadlock.  A selection
 * that changes nothing runs no UPDATE, so it leaves no new row version.
 *
 * IDENTIFICATION
 *	  src/cms_select.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "leadstore.h"

/*
 * ids_equal -- two ids, either possibly NULL, are IS NOT DISTINCT FROM
 */
static bool
ids_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * check_cms -- 22023 unless the technology (business unit bu, category
 *		category) is a CMS of the lead's business unit
 */
static void
check_cms(const char *cms_id, const char *lead_id, const LsLead *lead,
		  const char *bu, const char *category)
{
	if (category == NULL || strcmp(category, "CMS") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("technology \"%s\" is not a CMS", cms_id),
				 category ?
				 errdetail("Its category is \"%s\".", category) :
				 errdetail("It has no category."),
				 errhint("Choose a technology whose category is \"CMS\".")));
	if (!ids_equal(bu, lead->business_unit_id))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("technology \"%s\" does not belong to the business unit of lead \"%s\"",
						cms_id, lead_id),
				 errdetail("The technology belongs to business unit \"%s\"; the lead belongs to \"%s\".",
						   bu ? bu : "(none)",
						   lead->business_unit_id ? lead->business_unit_id : "(none)"),
				 errhint("Choose a CMS of business unit \"%s\".",
						 lead->business_unit_id ? lead->business_unit_id : "(none)")));
}

/*
 * technology_not_found -- P0002 for a technology that does not exist or
 *		that a row-level-security policy hides
 */
static void
technology_not_found(const char *cms_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("technology \"%s\" does not exist", cms_id)));
}

/*
 * connect_and_lock_both -- SPI_connect, then lock the lead FOR NO KEY UPDATE
 *		and the technology cms_id FOR SHARE [NOWAIT], in that order, in one
 *		statement (LS_PLAN_LEAD_TECH_LOCK), read both and check that the
 *		technology is a CMS of the lead's business unit
 *		P0002 when the lead (checked first) or the technology does not exist
 *		or RLS hides it; 22023 when it is not a CMS of the business unit.
 */
static void
connect_and_lock_both(const char *lead_id, const char *cms_id, bool nowait,
					  LsLead *lead)
{
	Datum		args[2];
	char	   *bu;
	char	   *category;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	args[0] = CStringGetTextDatum(lead_id);
	args[1] = CStringGetTextDatum(cms_id);
	ls_plan_execute(nowait ? LS_PLAN_LEAD_TECH_LOCK_NOWAIT :
					LS_PLAN_LEAD_TECH_LOCK,
					args, NULL, SPI_OK_SELECT, 1);
	if (SPI_processed == 0)
	{
		/* one of them is missing: the lead's error comes first */
		ls_lock_lead(lead_id, nowait, lead);
		technology_not_found(cms_id);
	}
	memset(lead, 0, sizeof(*lead));
	lead->business_unit_id = ls_spi_text(1, NULL);
	lead->selected_cms_id = ls_spi_text(2, NULL);
	bu = ls_spi_text(3, NULL);
	category = ls_spi_text(4, NULL);
	check_cms(cms_id, lead_id, lead, bu, category);
}

/*
 * set_cms -- write the lead's selected_cms_id (NULL clears it) and
 *		updated_at
 */
static void
set_cms(const char *lead_id, const char *cms_id)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};

	values[0] = CStringGetTextDatum(lead_id);
	values[1] = cms_id ? CStringGetTextDatum(cms_id) : (Datum) 0;
	if (cms_id == NULL)
		nulls[1] = 'n';
	ls_plan_execute(LS_PLAN_LEAD_SET_CMS, values, nulls, SPI_OK_UPDATE, 0);
	if (SPI_processed != 1)
		elog(ERROR, "update of lead \"%s\" touched " UINT64_FORMAT " rows",
			 lead_id, SPI_processed);
}

/*
 * finish_selection -- build the cms_selection row in the caller's context,
 *		leave SPI and return the row
 *		When the selection changes, the lead row is written first.
 */
static Datum
finish_selection(FunctionCallInfo fcinfo, MemoryContext callerctx,
				 const char *lead_id, const LsLead *lead,
				 const char *selected)
{
	const char *previous = lead->selected_cms_id;
	bool		changed = !ids_equal(previous, selected);
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	HeapTuple	tuple;

	if (changed)
		set_cms(lead_id, selected);

	MemoryContextSwitchTo(callerctx);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = CStringGetTextDatum(lead_id);
	values[1] = previous ? CStringGetTextDatum(previous) : (Datum) 0;
	nulls[1] = previous == NULL;
	values[2] = selected ? CStringGetTextDatum(selected) : (Datum) 0;
	nulls[2] = selected == NULL;
	values[3] = BoolGetDatum(changed);
	tuple = heap_form_tuple(tupdesc, values, nulls);
	SPI_finish();

	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}

/*
 * connect_and_lock -- SPI_connect, then lock and read the lead
 */
static void
connect_and_lock(const char *lead_id, bool nowait, LsLead *lead)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ls_lock_lead(lead_id, nowait, lead);
}

/*
 * leadstore_select_cms -- SQL: leadstore.select_cms(lead_id, cms_id, nowait)
 *		Locks the lead FOR NO KEY UPDATE and the technology FOR SHARE, checks
 *		that the technology is a CMS of the lead's business unit, then writes
 *		unless it is already the selection.
 */
PG_FUNCTION_INFO_V1(leadstore_select_cms);
Datum
leadstore_select_cms(PG_FUNCTION_ARGS)
{
	char	   *lead_id = ls_require_id(fcinfo, 0, "lead_id");
	char	   *cms_id = ls_require_id(fcinfo, 1, "cms_id");
	bool		nowait = ls_arg_bool(fcinfo, 2, false);
	MemoryContext callerctx = CurrentMemoryContext;
	LsLead		lead;

	connect_and_lock_both(lead_id, cms_id, nowait, &lead);
	return finish_selection(fcinfo, callerctx, lead_id, &lead, cms_id);
}

/*
 * leadstore_select_cms_if -- SQL: leadstore.select_cms_if(lead_id,
 *		expected_cms_id, cms_id, nowait)
 *		Compare-and-set: as select_cms (the technology is locked and checked
 *		in every case, so a bad cms_id always errors), but writes only when
 *		the current selection IS NOT DISTINCT FROM expected_cms_id.  On a
 *		mismatch returns changed = false with the current selection.
 */
PG_FUNCTION_INFO_V1(leadstore_select_cms_if);
Datum
leadstore_select_cms_if(PG_FUNCTION_ARGS)
{
	char	   *lead_id = ls_require_id(fcinfo, 0, "lead_id");
	char	   *expected = ls_optional_id(fcinfo, 1, "expected_cms_id");
	char	   *cms_id = ls_require_id(fcinfo, 2, "cms_id");
	bool		nowait = ls_arg_bool(fcinfo, 3, false);
	MemoryContext callerctx = CurrentMemoryContext;
	LsLead		lead;

	connect_and_lock_both(lead_id, cms_id, nowait, &lead);
	if (!ids_equal(lead.selected_cms_id, expected))
		cms_id = lead.selected_cms_id;
	return finish_selection(fcinfo, callerctx, lead_id, &lead, cms_id);
}

/*
 * leadstore_clear_cms_selection -- SQL: leadstore.clear_cms_selection(
 *		lead_id, nowait)
 *		Locks the lead FOR NO KEY UPDATE and sets selected_cms_id to NULL
 *		(no write when it already is).
 */
PG_FUNCTION_INFO_V1(leadstore_clear_cms_selection);
Datum
leadstore_clear_cms_selection(PG_FUNCTION_ARGS)
{
	char	   *lead_id = ls_require_id(fcinfo, 0, "lead_id");
	bool		nowait = ls_arg_bool(fcinfo, 1, false);
	MemoryContext callerctx = CurrentMemoryContext;
	LsLead		lead;

	connect_and_lock(lead_id, nowait, &lead);
	return finish_selection(fcinfo, callerctx, lead_id, &lead, NULL);
}

/*
 * leadstore_select_default_cms -- SQL: leadstore.select_default_cms(
 *		lead_id, nowait)
 *		Locks the lead FOR NO KEY UPDATE; when nothing is selected, locks the
 *		business unit's default CMS FOR SHARE (is_default, category 'CMS',
 *		smallest id in byte order among several) and selects it.  Otherwise,
 *		or when the business unit has no default CMS, writes nothing.
 */
PG_FUNCTION_INFO_V1(leadstore_select_default_cms);
Datum
leadstore_select_default_cms(PG_FUNCTION_ARGS)
{
	char	   *lead_id = ls_require_id(fcinfo, 0, "lead_id");
	bool		nowait = ls_arg_bool(fcinfo, 1, false);
	MemoryContext callerctx = CurrentMemoryContext;
	LsLead		lead;
	char	   *selected;

	connect_and_lock(lead_id, nowait, &lead);
	selected = lead.selected_cms_id;
	if (selected == NULL && lead.business_unit_id != NULL)
	{
		Datum		arg = CStringGetTextDatum(lead.business_unit_id);

		ls_plan_execute(nowait ? LS_PLAN_DEFAULT_CMS_NOWAIT : LS_PLAN_DEFAULT_CMS,
						&arg, NULL, SPI_OK_SELECT, 1);
		if (SPI_processed > 0)
			selected = ls_spi_text(1, NULL);
	}
	return finish_selection(fcinfo, callerctx, lead_id, &lead, selected);
}
