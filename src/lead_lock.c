/*-------------------------------------------------------------------------
 *
 * lead_lock.c
 *	  Reading a lead row, with or without its lock: shared by the section
 *	  and chunk stores, the CMS selection and the deep-scan functions.
 *
 * The CMS and deep-scan functions lock the lead FOR NO KEY UPDATE: it
 * conflicts with other CMS selections and deep-scan transitions of the same
 * lead (so their read-then-write steps serialize) but not with the FOR KEY
 * SHARE that the foreign keys of the section and chunk tables take, so
 * section stores go on while a selection is pending.  Under READ COMMITTED
 * the lock returns the newest committed version of the row, which is the
 * re-read the decisions are made on.  The lock is a locking SELECT, so the
 * executor's hooks, row-level security and extensions such as Citus see it
 * as they see any statement.
 *
 * IDENTIFICATION
 *	  src/lead_lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "leadstore.h"

/*
 * ls_lead_not_found -- P0002 for a lead that does not exist or that a
 *		row-level-security policy hides (the two are not told apart)
 */
void
ls_lead_not_found(const char *lead_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("lead \"%s\" does not exist", lead_id)));
}

/*
 * ls_lead_rfp_id -- the lead's rfp_id, read without a lock
 *		Must be called between SPI_connect and SPI_finish; the result lives
 *		in the SPI procedure context.  P0002 when the lead does not exist.
 */
char *
ls_lead_rfp_id(const char *lead_id)
{
	Datum		arg = CStringGetTextDatum(lead_id);
	char	   *rfp_id;
	bool		isnull;

	ls_plan_execute(LS_PLAN_LEAD_RFP, &arg, NULL, SPI_OK_SELECT, 1);
	if (SPI_processed == 0)
		ls_lead_not_found(lead_id);
	rfp_id = ls_spi_text(1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("lead \"%s\" has no rfp_id", lead_id)));
	return rfp_id;
}

/*
 * ls_lock_lead -- lock a lead FOR NO KEY UPDATE [NOWAIT] and read it
 *		Must be called between SPI_connect and SPI_finish; the strings in
 *		*lead live in the SPI procedure context.  With nowait a row locked by
 *		another transaction raises 55P03; otherwise lock_timeout applies.
 *		P0002 when the lead does not exist.
 */
void
ls_lock_lead(const char *lead_id, bool nowait, LsLead *lead)
{
	Datum		arg = CStringGetTextDatum(lead_id);

	ls_plan_execute(nowait ? LS_PLAN_LEAD_LOCK_NOWAIT : LS_PLAN_LEAD_LOCK,
					&arg, NULL, SPI_OK_SELECT, 1);
	if (SPI_processed == 0)
		ls_lead_not_found(lead_id);

	lead->business_unit_id = ls_spi_text(1, NULL);
	lead->selected_cms_id = ls_spi_text(2, NULL);
	lead->deep_scan_status = ls_spi_text(3, NULL);
	ls_spi_run_times(4, lead);
}

/*
 * ls_spi_run_times -- read the run's started_at and completed_at from
 *		columns fnumber and fnumber + 1 of the first SPI result row
 */
void
ls_spi_run_times(int fnumber, LsLead *lead)
{
	HeapTuple	tup = SPI_tuptable->vals[0];
	TupleDesc	desc = SPI_tuptable->tupdesc;
	Datum		d;
	bool		isnull;

	d = SPI_getbinval(tup, desc, fnumber, &isnull);
	lead->has_started_at = !isnull;
	lead->started_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = SPI_getbinval(tup, desc, fnumber + 1, &isnull);
	lead->has_completed_at = !isnull;
	lead->completed_at = isnull ? 0 : DatumGetTimestampTz(d);
}
