/*-------------------------------------------------------------------------
 *
 * row_lock.c
 *	  Locking one row of the data model by its primary key, and updating a
 *	  row so locked, without running a statement: for the lock a primary-key
 *	  index probe and table_tuple_lock, the two steps a "SELECT ... WHERE id
 *	  = $1 FOR NO KEY UPDATE / FOR SHARE" plan takes, without the executor
 *	  around them; for the update ExecSimpleRelationUpdate, the executor's
 *	  own single-row update that logical replication applies changes with.
 *
 * Why: a CMS selection is two row locks and, usually, one UPDATE.  Run as
 * SPI statements, each pays a plan-cache check, an executor start and end
 * and SPI's bookkeeping, which together cost more than the lock itself
 * (BENCHMARKS.md, "select_cms": D/C 1.13x with statements, 1.32x without).
 *
 * What the locking statement would do and ls_lock_row does too:
 *	- lock the table in RowShareLock mode, the index in AccessShareLock mode;
 *	- refuse in a read-only transaction (25006), as for any row lock;
 *	- take a new snapshot under READ COMMITTED (after a command counter
 *	  increment, like a non-read-only SPI statement), the transaction
 *	  snapshot under REPEATABLE READ and SERIALIZABLE (the index and heap
 *	  access methods take the predicate locks);
 *	- lock with TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS and, under READ
 *	  COMMITTED, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, and handle each result
 *	  as ExecLockRows does: a row deleted meanwhile is not found, a row
 *	  updated meanwhile is re-checked (its id may have changed) and returned
 *	  in its newest version, and under REPEATABLE READ either is 40001;
 *	- NOWAIT and lock_timeout behave alike (heapam raises 55P03 itself).
 *
 * Only when all of this is the whole story does it run; otherwise it returns
 * false and the caller runs its SPI statement, which then also reports
 * missing tables or columns (42P01/42703) and privileges (42501) in the
 * usual words.  That is when:
 *	- the table is not a plain table without inheritance children (a
 *	  partitioned table or a parent: the statement would scan the children);
 *	- row-level security is enabled on it (policies are the executor's);
 *	- the user lacks table-level SELECT or UPDATE on it (column privileges
 *	  are the executor's to check and to report);
 *	- the table lacks a column of the data model, or one has another type
 *	  (plans.c's check, so that the SPI path reports 42703 as for any
 *	  statement of leadstore);
 *	- the primary key is not a btree on "id" alone with the default text
 *	  operator class and a deterministic collation.
 *
 * ls_update_locked_row has conditions of its own (rules, triggers), in its
 * header comment.
 *
 * IDENTIFICATION
 *	  src/row_lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_class_d.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_opfamily_d.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lockdefs.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "leadstore.h"

/*
 * open_primary_key -- the primary-key index of rel, opened, when it is a
 *		btree on the column idcol alone with text_ops and a deterministic
 *		collation; NULL otherwise
 */
static Relation
open_primary_key(Relation rel, AttrNumber idcol)
{
	Oid			pkoid = RelationGetPrimaryKeyIndex(rel);
	Relation	idx;
	Oid			coll;

	if (!OidIsValid(pkoid))
		return NULL;
	idx = index_open(pkoid, AccessShareLock);
	coll = idx->rd_indcollation[0];
	if (idx->rd_rel->relam == BTREE_AM_OID &&
		idx->rd_index->indisvalid &&
		IndexRelationGetNumberOfKeyAttributes(idx) == 1 &&
		idx->rd_index->indkey.values[0] == idcol &&
		idx->rd_opfamily[0] == TEXT_BTREE_FAM_OID &&
		(coll == DEFAULT_COLLATION_OID || coll == C_COLLATION_OID ||
		 get_collation_isdeterministic(coll)))
		return idx;
	index_close(idx, AccessShareLock);
	return NULL;
}

/*
 * lock_found_row -- lock the row version in slot (found by the index probe
 *		under snapshot), following the update chain under READ COMMITTED
 *		Returns false when there is no row to return, as ExecLockRows would
 *		skip it: deleted, or changed by this command, or its id changed.
 */
static bool
lock_found_row(Relation rel, Relation idx, TupleTableSlot *slot,
			   Snapshot snapshot, LockTupleMode mode, bool nowait,
			   Datum idtext)
{
	ItemPointerData tid = slot->tts_tid;
	TM_FailureData tmfd;
	TM_Result	result;
	uint8		flags = TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS;
	Datum		id;
	bool		isnull;

	if (!IsolationUsesXactSnapshot())
		flags |= TUPLE_LOCK_FLAG_FIND_LAST_VERSION;
	tmfd.traversed = false;
	result = table_tuple_lock(rel, &tid, snapshot, slot,
							  GetCurrentCommandId(true), mode,
							  nowait ? LockWaitError : LockWaitBlock,
							  flags, &tmfd);
	switch (result)
	{
		case TM_Ok:
			if (!tmfd.traversed)
				return true;
			/* a newer version: it must still be the row asked for */
			id = slot_getattr(slot, idx->rd_index->indkey.values[0], &isnull);
			return !isnull &&
				DatumGetBool(DirectFunctionCall2Coll(texteq,
													 idx->rd_indcollation[0],
													 id, idtext));
		case TM_SelfModified:
			/* changed by the current command: skipped, as ExecLockRows does */
			return false;
		case TM_Updated:
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update")));
			if (result == TM_Deleted)
				return false;
			elog(ERROR, "unexpected table_tuple_lock status: %u", result);
			break;
		case TM_Invisible:
			elog(ERROR, "attempted to lock invisible tuple");
			break;
		default:
			elog(ERROR, "unexpected table_tuple_lock status: %u", result);
			break;
	}
	return false;				/* keep compiler quiet */
}

/*
 * ls_lock_row -- lock the row of a data-model table whose "id" is id and
 *		read some of its columns
 *		mode is LockTupleNoKeyExclusive (FOR NO KEY UPDATE) or LockTupleShare
 *		(FOR SHARE); cols names ncols columns and their types.  Returns false
 *		when this path does not apply (see the file header): nothing is
 *		locked then but the table itself, and the caller must run its
 *		statement.  Otherwise sets *found, and when found fills values/isnull
 *		(text values copied into the current memory context) and, unless
 *		locked is NULL, *locked for ls_update_locked_row.
 */
bool
ls_lock_row(LsTable table, const char *id, LockTupleMode mode, bool nowait,
			int ncols, const LsRowColumn *cols, Datum *values, bool *isnull,
			bool *found, LsLockedRow *locked)
{
	RangeVar   *rv;
	Oid			relid;
	Relation	rel;
	Relation	idx;
	AttrNumber	idcol;
	AttrNumber	attnums[LS_ROW_MAX_COLUMNS];
	Datum		idtext;
	Snapshot	snapshot;
	ScanKeyData key;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	int			i;

	Assert(ncols <= LS_ROW_MAX_COLUMNS);
	Assert(mode == LockTupleNoKeyExclusive || mode == LockTupleShare);
	if (locked != NULL)
		locked->relid = InvalidOid;

	rv = makeRangeVar(leadstore_data_schema,
					  unconstify(char *, ls_table_names[table]), -1);
	relid = RangeVarGetRelidExtended(rv, RowShareLock, RVR_MISSING_OK,
									 NULL, NULL);
	if (!OidIsValid(relid))
		return false;
	rel = table_open(relid, NoLock);

	if (rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->rd_rel->relhassubclass ||
		rel->rd_rel->relrowsecurity ||
		pg_class_aclmask(relid, GetUserId(), ACL_SELECT | ACL_UPDATE,
						 ACLMASK_ALL) != (ACL_SELECT | ACL_UPDATE))
	{
		table_close(rel, NoLock);
		return false;
	}
	/* a table short of a model column: the statement path reports it */
	if (!ls_model_columns_present(RelationGetDescr(rel), table))
	{
		table_close(rel, NoLock);
		return false;
	}
	idcol = ls_find_column(RelationGetDescr(rel), "id", TEXTOID);
	for (i = 0; i < ncols; i++)
	{
		attnums[i] = ls_find_column(RelationGetDescr(rel), cols[i].name,
									cols[i].type);
		if (attnums[i] == InvalidAttrNumber)
			idcol = InvalidAttrNumber;
	}
	idx = idcol != InvalidAttrNumber ? open_primary_key(rel, idcol) : NULL;
	if (idx == NULL)
	{
		table_close(rel, NoLock);
		return false;
	}

	/* a row lock is a write: not in a read-only transaction */
	if (!isTempNamespace(RelationGetNamespace(rel)))
		PreventCommandIfReadOnly(mode == LockTupleShare ?
								 "SELECT FOR SHARE" :
								 "SELECT FOR NO KEY UPDATE");

	/* the snapshot a non-read-only SPI statement would run under */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	snapshot = GetActiveSnapshot();

	idtext = CStringGetTextDatum(id);
	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   idx->rd_indcollation[0], F_TEXTEQ, idtext);
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, snapshot, 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	*found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);

	if (*found)
		*found = lock_found_row(rel, idx, slot, snapshot, mode, nowait,
								idtext);
	if (*found)
	{
		if (locked != NULL)
		{
			locked->relid = relid;
			locked->tid = slot->tts_tid;	/* the version locked */
		}
		for (i = 0; i < ncols; i++)
		{
			Datum		d = slot_getattr(slot, attnums[i], &isnull[i]);

			/* copy out of the slot, which is dropped below */
			values[i] = isnull[i] ? (Datum) 0 :
				datumCopy(d, TupleDescAttr(RelationGetDescr(rel),
										   attnums[i] - 1)->attbyval,
						  TupleDescAttr(RelationGetDescr(rel),
										attnums[i] - 1)->attlen);
		}
	}

	ExecDropSingleTupleTableSlot(slot);
	PopActiveSnapshot();
	/* keep the locks until the end of the transaction, as a statement does */
	index_close(idx, NoLock);
	table_close(rel, NoLock);
	return true;
}

/*
 * only_foreign_key_triggers -- whether every trigger of rel is one of the
 *		row triggers that PostgreSQL creates for foreign keys
 */
static bool
only_foreign_key_triggers(Relation rel)
{
	TriggerDesc *trigdesc = rel->trigdesc;
	int			i;

	if (trigdesc == NULL)
		return true;
	for (i = 0; i < trigdesc->numtriggers; i++)
		if (RI_FKey_trigger_type(trigdesc->triggers[i].tgfoid) == RI_TRIGGER_NONE)
			return false;
	return true;
}

/*
 * ls_update_locked_row -- write new values into a row that ls_lock_row
 *		locked, as "UPDATE <table> SET col = value, ... WHERE id = ..." would
 *		cols names ncols columns and their types, values/isnull the new
 *		values; the other columns keep theirs.  Returns false, having written
 *		nothing, when this path does not apply; the caller then runs its
 *		UPDATE statement.  It applies when the row was locked by ls_lock_row
 *		(which checked the table, the privileges and the transaction) and the
 *		table has no rules and no triggers but those of foreign keys.
 *
 *		The row is updated the way logical replication applies an update
 *		(ExecSimpleRelationUpdate): constraints, generated columns, index
 *		entries (none for a HOT update), replica identity, and the AFTER
 *		triggers of the foreign keys, fired at the end as for a statement;
 *		statement-level triggers, user triggers and rules are what it does
 *		not do, hence the conditions.  The row cannot have changed since it
 *		was locked.
 */
bool
ls_update_locked_row(const LsLockedRow *locked, int ncols,
					 const LsRowColumn *cols, const Datum *values,
					 const bool *isnull)
{
	Relation	rel;
	TupleDesc	desc;
	AttrNumber	attnums[LS_ROW_MAX_COLUMNS];
	Bitmapset  *updated = NULL;
	EState	   *estate;
	RangeTblEntry *rte;
	ResultRelInfo *rri;
	EPQState	epqstate;
	TupleTableSlot *oldslot;
	TupleTableSlot *newslot;
	ItemPointerData tid;
	int			i;

	Assert(ncols <= LS_ROW_MAX_COLUMNS);
	if (!OidIsValid(locked->relid))
		return false;

	/* the lock an UPDATE takes; then the triggers and rules are current */
	rel = table_open(locked->relid, RowExclusiveLock);
	desc = RelationGetDescr(rel);
	for (i = 0; i < ncols; i++)
	{
		attnums[i] = ls_find_column(desc, cols[i].name, cols[i].type);
		if (attnums[i] == InvalidAttrNumber)
			break;
		updated = bms_add_member(updated, attnums[i] -
								 FirstLowInvalidHeapAttributeNumber);
	}
	if (i < ncols || rel->rd_rel->relhasrules ||
		!only_foreign_key_triggers(rel))
	{
		table_close(rel, NoLock);
		return false;
	}

	/* an executor state with the table as its one result relation */
	estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = locked->relid;
	rte->relkind = RELKIND_RELATION;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_UPDATE;
	rte->updatedCols = updated;
	ExecInitRangeTable(estate, list_make1(rte));
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	/* so that ExecGetTriggerResultRel finds it, as in logical replication */
	estate->es_opened_result_relations =
		lappend(estate->es_opened_result_relations, rri);
	ExecOpenIndices(rri, false);

	/* the command and snapshot a non-read-only SPI statement would have */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	estate->es_snapshot = GetActiveSnapshot();
	estate->es_output_cid = GetCurrentCommandId(true);

	/* the new row: the locked version with the given columns replaced */
	oldslot = table_slot_create(rel, &estate->es_tupleTable);
	tid = locked->tid;
	if (!table_tuple_fetch_row_version(rel, &tid, SnapshotAny, oldslot))
		elog(ERROR, "could not fetch the locked row of \"%s\"",
			 RelationGetRelationName(rel));
	slot_getallattrs(oldslot);
	newslot = table_slot_create(rel, &estate->es_tupleTable);
	ExecClearTuple(newslot);
	for (i = 0; i < desc->natts; i++)
	{
		/* a dropped column is stored as NULL, as any UPDATE does */
		newslot->tts_isnull[i] = oldslot->tts_isnull[i] ||
			TupleDescAttr(desc, i)->attisdropped;
		newslot->tts_values[i] = newslot->tts_isnull[i] ?
			(Datum) 0 : oldslot->tts_values[i];
	}
	for (i = 0; i < ncols; i++)
	{
		newslot->tts_values[attnums[i] - 1] = values[i];
		newslot->tts_isnull[attnums[i] - 1] = isnull[i];
	}
	ExecStoreVirtualTuple(newslot);

	AfterTriggerBeginQuery();
	EvalPlanQualInit(&epqstate, estate, NULL, NIL, -1);
	ExecSimpleRelationUpdate(rri, estate, &epqstate, oldslot, newslot);
	/* the foreign keys' checks run here, as at the end of a statement */
	AfterTriggerEndQuery(estate);
	EvalPlanQualEnd(&epqstate);

	ExecCloseIndices(rri);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	PopActiveSnapshot();
	table_close(rel, NoLock);
	return true;
}
