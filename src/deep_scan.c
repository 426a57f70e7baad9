/*-------------------------------------------------------------------------
 *
 * deep_scan.c
 *	  Deep-scan runs of a lead: begin_deep_scan and finish_deep_scan.
 *
 * Both lock the lead FOR NO KEY UPDATE (lead_lock.c) before they decide, so
 * of several concurrent begin_deep_scan calls exactly one starts the run; the
 * others wait for it and then see it running.  begin_deep_scan's started_at
 * is the run's token: a runner passes it back to finish_deep_scan, which
 * refuses to finish any other run, so a runner that hung past stale_after
 * and was taken over cannot finish its successor's run.  Section stores are not blocked
 * (their foreign keys hold FOR KEY SHARE).  "now" is the transaction's
 * timestamp, as pg_catalog.now() is in the statements.
 *
 * IDENTIFICATION
 *	  src/deep_scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "leadstore.h"

/*
 * sections_since -- the lead's sections stored (created or updated) at or
 *		after since; all of them when has_since is false
 */
static int32
sections_since(const char *lead_id, bool has_since, TimestampTz since)
{
	Datum		values[2];
	bool		isnull;

	values[0] = CStringGetTextDatum(lead_id);
	values[1] = TimestampTzGetDatum(has_since ? since : DT_NOBEGIN);
	ls_plan_execute(LS_PLAN_SECTIONS_SINCE, values, NULL, SPI_OK_SELECT, 1);
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * set_state -- write the lead's deep-scan columns, deep_scan_error (when the
 *		table has that column; NULL clears it) and updated_at, and read back
 *		the timestamps as stored into *lead
 */
static void
set_state(const char *lead_id, LsLead *lead, const char *status,
		  const char *error)
{
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	values[0] = CStringGetTextDatum(lead_id);
	values[1] = CStringGetTextDatum(status);
	values[2] = TimestampTzGetDatum(lead->started_at);
	values[3] = TimestampTzGetDatum(lead->completed_at);
	values[4] = error ? CStringGetTextDatum(error) : (Datum) 0;
	if (!lead->has_started_at)
		nulls[2] = 'n';
	if (!lead->has_completed_at)
		nulls[3] = 'n';
	if (error == NULL)
		nulls[4] = 'n';
	ls_plan_execute(LS_PLAN_DEEP_SCAN_SET, values, nulls,
					SPI_OK_UPDATE_RETURNING, 0);
	if (SPI_processed != 1)
		elog(ERROR, "update of lead \"%s\" touched " UINT64_FORMAT " rows",
			 lead_id, SPI_processed);

	lead->deep_scan_status = (char *) status;
	ls_spi_run_times(1, lead);
}

/*
 * require_error_column -- 42703 when an error text is to be stored but the
 *		leads table has no deep_scan_error column (it is optional)
 */
static void
require_error_column(void)
{
	LsModel		model;

	(void) ls_plan_get(LS_PLAN_DEEP_SCAN_SET);
	if (ls_column_present(LS_COL_LEADS_ERROR))
		return;
	ls_current_model(&model, LS_T(LS_TABLE_LEADS));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of relation \"%s.%s\" does not exist",
					model.columns[LS_COL_LEADS_ERROR].name, model.schema,
					model.tables[LS_TABLE_LEADS]),
			 errdetail("finish_deep_scan stores a failed run's error text in the optional column %s.",
					   ls_logical_column_name(LS_COL_LEADS_ERROR)),
			 errhint("Add it with: ALTER TABLE %s ADD COLUMN %s text; or pass error => NULL.",
					 quote_qualified_identifier(model.schema,
												model.tables[LS_TABLE_LEADS]),
					 quote_identifier(model.columns[LS_COL_LEADS_ERROR].name))));
}

/*
 * finish_run -- the deep_scan_run row, built in the caller's context, after
 *		which SPI is left
 */
static Datum
finish_run(FunctionCallInfo fcinfo, MemoryContext callerctx,
		   const char *lead_id, const LsLead *lead, int32 sections,
		   bool transitioned)
{
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	HeapTuple	tuple;

	MemoryContextSwitchTo(callerctx);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = CStringGetTextDatum(lead_id);
	values[1] = lead->deep_scan_status ?
		CStringGetTextDatum(lead->deep_scan_status) : (Datum) 0;
	nulls[1] = lead->deep_scan_status == NULL;
	values[2] = TimestampTzGetDatum(lead->started_at);
	nulls[2] = !lead->has_started_at;
	values[3] = TimestampTzGetDatum(lead->completed_at);
	nulls[3] = !lead->has_completed_at;
	values[4] = Int32GetDatum(sections);
	values[5] = BoolGetDatum(transitioned);
	tuple = heap_form_tuple(tupdesc, values, nulls);
	SPI_finish();

	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}

/*
 * is_running -- deep_scan_status is 'running'
 */
static bool
is_running(const LsLead *lead)
{
	return lead->deep_scan_status != NULL &&
		strcmp(lead->deep_scan_status, "running") == 0;
}

/*
 * timestamp_text -- a timestamptz for messages, in the session's style
 */
static char *
timestamp_text(bool has, TimestampTz ts)
{
	if (!has)
		return "(none)";
	return DatumGetCString(DirectFunctionCall1(timestamptz_out,
											   TimestampTzGetDatum(ts)));
}

/*
 * token_matches -- whether a run token names the lead's current run
 *		Equal, or equal once the stored started_at is truncated to whole
 *		milliseconds: JavaScript Dates (node-postgres returns timestamptz as
 *		one) carry milliseconds only, so an application that passes back the
 *		Date it got from begin_deep_scan sends the truncated value.
 */
static bool
token_matches(const LsLead *lead, TimestampTz token)
{
	TimestampTz started = lead->started_at;
	TimestampTz truncated;

	if (!lead->has_started_at)
		return false;
	if (token == started)
		return true;
	truncated = started - (started % 1000 + 1000) % 1000;
	return token == truncated;
}

/*
 * leadstore_begin_deep_scan -- SQL: leadstore.begin_deep_scan(lead_id,
 *		stale_after)
 *		Locks the lead FOR NO KEY UPDATE.  Unless a run is running and
 *		started less than stale_after ago, sets status 'running', started_at
 *		now(), completed_at NULL and clears deep_scan_error when the table has
 *		it (transitioned = true); otherwise writes nothing.  A running lead
 *		with no started_at counts as stale.  The started_at returned is the
 *		run token that finish_deep_scan takes.
 */
PG_FUNCTION_INFO_V1(leadstore_begin_deep_scan);
Datum
leadstore_begin_deep_scan(PG_FUNCTION_ARGS)
{
	char	   *lead_id = ls_require_id(fcinfo, 0, "lead_id");
	MemoryContext callerctx = CurrentMemoryContext;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz threshold;
	LsLead		lead;
	bool		transitioned;

	if (PG_ARGISNULL(1))
	{
		/* NULL means the SQL default, 30 minutes */
		threshold = now - 30 * USECS_PER_MINUTE;
	}
	else
	{
		Interval   *stale_after = PG_GETARG_INTERVAL_P(1);
		Interval	zero = {0, 0, 0};

		if (DatumGetInt32(DirectFunctionCall2(interval_cmp,
											  IntervalPGetDatum(stale_after),
											  IntervalPGetDatum(&zero))) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stale_after must not be negative"),
					 errdetail("stale_after is %s.",
							   DatumGetCString(DirectFunctionCall1(interval_out,
																   IntervalPGetDatum(stale_after))))));
		threshold = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
															TimestampTzGetDatum(now),
															IntervalPGetDatum(stale_after)));
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ls_lock_lead(lead_id, false, &lead);

	transitioned = !(is_running(&lead) && lead.has_started_at &&
					 lead.started_at > threshold);
	if (transitioned)
	{
		lead.has_started_at = true;
		lead.started_at = now;
		lead.has_completed_at = false;
		set_state(lead_id, &lead, "running", NULL);
	}
	return finish_run(fcinfo, callerctx, lead_id, &lead,
					  sections_since(lead_id, lead.has_started_at,
									 lead.started_at),
					  transitioned);
}

/*
 * leadstore_finish_deep_scan -- SQL: leadstore.finish_deep_scan(lead_id,
 *		started_at, outcome, error)
 *		Locks the lead FOR NO KEY UPDATE; requires status 'running' and, when
 *		the run token started_at is given, that the running run is that run
 *		(55000 otherwise, nothing written).  Sets outcome when given, else
 *		'completed' when at least one section was stored since started_at
 *		and 'failed' otherwise; completed_at now() (never before started_at);
 *		deep_scan_error = error.
 */
PG_FUNCTION_INFO_V1(leadstore_finish_deep_scan);
Datum
leadstore_finish_deep_scan(PG_FUNCTION_ARGS)
{
	char	   *lead_id = ls_require_id(fcinfo, 0, "lead_id");

	/* 0.1.0's declaration, until ALTER EXTENSION UPDATE, has lead_id only */
	bool		v010 = PG_NARGS() < 4;
	bool		has_token = !v010 && !PG_ARGISNULL(1);
	TimestampTz token = has_token ? PG_GETARG_TIMESTAMPTZ(1) : 0;
	char	   *outcome = NULL;
	char	   *error = NULL;
	MemoryContext callerctx = CurrentMemoryContext;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	LsLead		lead;
	int32		sections;

	if (!v010 && !PG_ARGISNULL(3))
		error = text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (!v010 && !PG_ARGISNULL(2))
	{
		outcome = text_to_cstring(PG_GETARG_TEXT_PP(2));
		if (strcmp(outcome, "completed") != 0 && strcmp(outcome, "failed") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid outcome \"%s\"", outcome),
					 errdetail("outcome must be \"completed\", \"failed\" or NULL.")));
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (error != NULL)
		require_error_column();
	ls_lock_lead(lead_id, false, &lead);

	if (has_token && !(is_running(&lead) && token_matches(&lead, token)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("deep scan run of lead \"%s\" started at %s is not the current run",
						lead_id, timestamp_text(true, token)),
				 errdetail("The lead's deep scan is \"%s\", started at %s.",
						   lead.deep_scan_status ? lead.deep_scan_status : "(null)",
						   timestamp_text(lead.has_started_at, lead.started_at)),
				 errhint("Another runner took the run over, or it was finished already; this runner's results were not recorded as the run's outcome.")));
	if (!is_running(&lead))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("lead \"%s\" has no deep scan running", lead_id),
				 errdetail("Its deep_scan_status is \"%s\".",
						   lead.deep_scan_status ? lead.deep_scan_status : "(null)"),
				 errhint("Call leadstore.begin_deep_scan first.")));

	sections = sections_since(lead_id, lead.has_started_at, lead.started_at);
	if (outcome == NULL)
		outcome = sections > 0 ? "completed" : "failed";

	/*
	 * now() is the finishing transaction's start, which can precede the run's
	 * start when that transaction began before begin_deep_scan's committed: a
	 * run never completes before it started.
	 */
	lead.has_completed_at = true;
	lead.completed_at = lead.has_started_at ? Max(now, lead.started_at) : now;
	set_state(lead_id, &lead, outcome, error);
	return finish_run(fcinfo, callerctx, lead_id, &lead, sections, true);
}
