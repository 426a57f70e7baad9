/*-------------------------------------------------------------------------
 *
 * deep_scan.c
 *	  Deep-scan runs of a lead: begin_deep_scan and finish_deep_scan.
 *
 * Both lock the lead FOR NO KEY UPDATE (lead_lock.c) before they decide, so
 * of several concurrent begin_deep_scan calls exactly one starts the run; the
 * others wait for it and then see it running.  Section stores are not blocked
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
 * set_state -- write the lead's deep-scan columns and updated_at
 *		Without a statement when the lead was locked by row_lock.c and the
 *		table allows it (ls_update_locked_row), else by LS_PLAN_DEEP_SCAN_SET.
 */
static void
set_state(const char *lead_id, const LsLockedRow *row, const char *status,
		  bool has_started, TimestampTz started,
		  bool has_completed, TimestampTz completed)
{
	static const LsRowColumn columns[] = {
		{"deep_scan_status", TEXTOID},
		{"deep_scan_started_at", TIMESTAMPTZOID},
		{"deep_scan_completed_at", TIMESTAMPTZOID},
		{"updated_at", TIMESTAMPTZOID},
	};
	Datum		values[4];
	bool		isnull[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	values[0] = CStringGetTextDatum(status);
	isnull[0] = false;
	values[1] = TimestampTzGetDatum(started);
	isnull[1] = !has_started;
	values[2] = TimestampTzGetDatum(completed);
	isnull[2] = !has_completed;
	values[3] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	isnull[3] = false;
	if (ls_update_locked_row(row, lengthof(columns), columns, values, isnull))
		return;

	values[0] = CStringGetTextDatum(lead_id);
	values[1] = CStringGetTextDatum(status);
	values[2] = TimestampTzGetDatum(started);
	values[3] = TimestampTzGetDatum(completed);
	if (!has_started)
		nulls[2] = 'n';
	if (!has_completed)
		nulls[3] = 'n';
	ls_plan_execute(LS_PLAN_DEEP_SCAN_SET, values, nulls, SPI_OK_UPDATE, 0);
	if (SPI_processed != 1)
		elog(ERROR, "update of lead \"%s\" touched " UINT64_FORMAT " rows",
			 lead_id, SPI_processed);
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
 * leadstore_begin_deep_scan -- SQL: leadstore.begin_deep_scan(lead_id,
 *		stale_after)
 *		Locks the lead FOR NO KEY UPDATE.  Unless a run is running and
 *		started less than stale_after ago, sets status 'running', started_at
 *		now() and completed_at NULL (transitioned = true); otherwise writes
 *		nothing.  A running lead with no started_at counts as stale.
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
		set_state(lead_id, &lead.row, "running", true, now, false, 0);
		lead.deep_scan_status = "running";
		lead.has_started_at = true;
		lead.started_at = now;
		lead.has_completed_at = false;
	}
	return finish_run(fcinfo, callerctx, lead_id, &lead,
					  sections_since(lead_id, lead.has_started_at,
									 lead.started_at),
					  transitioned);
}

/*
 * leadstore_finish_deep_scan -- SQL: leadstore.finish_deep_scan(lead_id)
 *		Locks the lead FOR NO KEY UPDATE; requires status 'running' (55000
 *		otherwise).  Sets 'completed' when at least one section was stored
 *		since started_at, 'failed' otherwise, and completed_at now().
 */
PG_FUNCTION_INFO_V1(leadstore_finish_deep_scan);
Datum
leadstore_finish_deep_scan(PG_FUNCTION_ARGS)
{
	char	   *lead_id = ls_require_id(fcinfo, 0, "lead_id");
	MemoryContext callerctx = CurrentMemoryContext;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	LsLead		lead;
	int32		sections;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ls_lock_lead(lead_id, false, &lead);

	if (!is_running(&lead))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("lead \"%s\" has no deep scan running", lead_id),
				 errdetail("Its deep_scan_status is \"%s\".",
						   lead.deep_scan_status ? lead.deep_scan_status : "(null)"),
				 errhint("Call leadstore.begin_deep_scan first.")));

	sections = sections_since(lead_id, lead.has_started_at, lead.started_at);
	lead.deep_scan_status = sections > 0 ? "completed" : "failed";
	lead.has_completed_at = true;
	lead.completed_at = now;
	set_state(lead_id, &lead.row, lead.deep_scan_status,
			  lead.has_started_at, lead.started_at, true, now);
	return finish_run(fcinfo, callerctx, lead_id, &lead, sections, true);
}
