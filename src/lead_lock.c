/*-------------------------------------------------------------------------
 *
 * lead_lock.c
 *	  Locking and reading a lead row, shared by the CMS selection and the
 *	  deep-scan functions.
 *
 * The lead is locked FOR NO KEY UPDATE: it conflicts with other CMS
 * selections and deep-scan transitions of the same lead (so their
 * read-then-write steps serialize) but not with the FOR KEY SHARE that the
 * foreign keys of lead_section_data and rfp_embeddings take, so section
 * stores go on while a selection is pending.  Under READ COMMITTED the lock
 * returns the newest committed version of the row, which is the re-read the
 * decisions are made on.  The lock is taken by row_lock.c when the table
 * allows it, else by the locking SELECT; both behave alike.
 *
 * IDENTIFICATION
 *	  src/lead_lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
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

/* The lead's columns read under the lock, in LsLead's order */
static const LsRowColumn lead_columns[] = {
	{"business_unit_id", TEXTOID},
	{"selected_cms_id", TEXTOID},
	{"deep_scan_status", TEXTOID},
	{"deep_scan_started_at", TIMESTAMPTZOID},
	{"deep_scan_completed_at", TIMESTAMPTZOID},
};

/*
 * ls_try_lock_lead -- ls_lock_lead through row_lock.c, without a statement
 *		Returns false, having locked nothing but the table, when that path
 *		does not apply to the leads table (row_lock.c's header says when).
 */
bool
ls_try_lock_lead(const char *lead_id, bool nowait, LsLead *lead)
{
	Datum		values[lengthof(lead_columns)];
	bool		isnull[lengthof(lead_columns)];
	bool		found;

	if (!ls_lock_row(LS_TABLE_LEADS, lead_id, LockTupleNoKeyExclusive, nowait,
					 lengthof(lead_columns), lead_columns, values, isnull,
					 &found, &lead->row))
		return false;
	if (!found)
		ls_lead_not_found(lead_id);

	lead->business_unit_id = isnull[0] ? NULL : TextDatumGetCString(values[0]);
	lead->selected_cms_id = isnull[1] ? NULL : TextDatumGetCString(values[1]);
	lead->deep_scan_status = isnull[2] ? NULL : TextDatumGetCString(values[2]);
	lead->has_started_at = !isnull[3];
	lead->started_at = isnull[3] ? 0 : DatumGetTimestampTz(values[3]);
	lead->has_completed_at = !isnull[4];
	lead->completed_at = isnull[4] ? 0 : DatumGetTimestampTz(values[4]);
	return true;
}

/*
 * ls_lock_lead -- lock a lead FOR NO KEY UPDATE [NOWAIT] and read it
 *		Must be called between SPI_connect and SPI_finish; the strings in
 *		*lead live in the SPI procedure context.  With nowait a row locked by
 *		another transaction raises 55P03; otherwise lock_timeout applies.
 *		P0002 when the lead does not exist.  Without a statement when
 *		row_lock.c can (the same lock and re-read), else by LS_PLAN_LEAD_LOCK.
 */
void
ls_lock_lead(const char *lead_id, bool nowait, LsLead *lead)
{
	Datum		arg;
	HeapTuple	tup;
	TupleDesc	desc;
	Datum		d;
	bool		isnull;

	if (ls_try_lock_lead(lead_id, nowait, lead))
		return;

	lead->row.relid = InvalidOid;	/* locked by a statement */
	arg = CStringGetTextDatum(lead_id);
	ls_plan_execute(nowait ? LS_PLAN_LEAD_LOCK_NOWAIT : LS_PLAN_LEAD_LOCK,
					&arg, NULL, SPI_OK_SELECT, 1);
	if (SPI_processed == 0)
		ls_lead_not_found(lead_id);

	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	lead->business_unit_id = ls_spi_text(1, NULL);
	lead->selected_cms_id = ls_spi_text(2, NULL);
	lead->deep_scan_status = ls_spi_text(3, NULL);
	d = SPI_getbinval(tup, desc, 4, &isnull);
	lead->has_started_at = !isnull;
	lead->started_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = SPI_getbinval(tup, desc, 5, &isnull);
	lead->has_completed_at = !isnull;
	lead->completed_at = isnull ? 0 : DatumGetTimestampTz(d);
}
