/*-------------------------------------------------------------------------
 *
 * chunk_store.c
 *	  leadstore.store_chunks: the chunks of one agent for one RFP (and lead)
 *	  that belong to no section, replaced atomically.
 *
 * An application's sub-agents (a legal check, references, a component
 * library) and its RFP-level embedding jobs write chunks keyed by
 * (rfp_id, lead_id, agent_name) with no section_id.  store_chunks replaces
 * exactly the rows of one such key: same rfp_id, same agent_name, the same
 * lead_id (NULL matches NULL) and section_id NULL, so it never touches a
 * section's chunks.
 *
 * There is no row to lock for a key, so calls for the same key serialize on
 * a transaction-level advisory lock whose 64-bit key is a hash of the chunk
 * table's oid and the key's values (a hash collision makes two keys wait
 * for each other, nothing worse).  Under READ COMMITTED the waiting call's
 * DELETE then sees the first call's committed chunks and removes them.
 * Under REPEATABLE READ or SERIALIZABLE it cannot see them, so the DELETE
 * runs crosschecked against the transaction's snapshot and raises 40001
 * when a concurrent store of the key committed after the caller's snapshot.
 *
 * IDENTIFICATION
 *	  src/chunk_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "leadstore.h"

/* Argument positions of leadstore.store_chunks */
#define ARG_RFP_ID			0
#define ARG_AGENT_NAME		1
#define ARG_CHUNKS			2
#define ARG_EMBEDDINGS		3
#define ARG_LEAD_ID			4
#define ARG_CHUNK_TYPE		5
#define ARG_METADATA		6
#define ARG_EMBEDDINGS_PACKED 7

/* Seed of the advisory lock keys, so that they stay apart from others' */
#define LS_AGENT_LOCK_SEED	UINT64CONST(0x6c65616473746f72)

/*
 * lock_key -- serialize the calls for one key: pg_advisory_xact_lock on a
 *		hash of the chunk table and the key
 */
static void
lock_key(const char *rfp_id, const char *lead_id, const char *agent_name)
{
	StringInfoData buf;
	Datum		key;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%u", ls_table_relid(LS_TABLE_EMBEDDINGS));
	appendStringInfoChar(&buf, '\0');
	appendStringInfoString(&buf, rfp_id);
	appendStringInfoChar(&buf, '\0');
	appendStringInfoChar(&buf, lead_id ? 'l' : 'n');
	if (lead_id)
		appendStringInfoString(&buf, lead_id);
	appendStringInfoChar(&buf, '\0');
	appendStringInfoString(&buf, agent_name);

	key = Int64GetDatum((int64) hash_bytes_extended((const unsigned char *) buf.data,
													buf.len,
													LS_AGENT_LOCK_SEED));
	ls_plan_execute(LS_PLAN_AGENT_LOCK, &key, NULL, SPI_OK_SELECT, 1);
}

/*
 * leadstore_store_chunks -- SQL: leadstore.store_chunks(rfp_id, agent_name,
 *		chunks, embeddings, lead_id, chunk_type, metadata, embeddings_packed)
 *		RETURNS chunk_write
 *
 *		Replaces the chunks of (rfp_id, lead_id, agent_name) without a
 *		section with one row per chunk.  rfp_id NULL: the lead's.  Locks: an
 *		advisory transaction lock per key; the foreign keys take FOR KEY
 *		SHARE on the lead and the rfp.  Memory: as store_section_result.
 */
PG_FUNCTION_INFO_V1(leadstore_store_chunks);
Datum
leadstore_store_chunks(PG_FUNCTION_ARGS)
{
	char	   *rfp_id = ls_optional_id(fcinfo, ARG_RFP_ID, "rfp_id");
	char	   *agent_name = ls_require_id(fcinfo, ARG_AGENT_NAME, "agent_name");
	char	   *lead_id = ls_optional_id(fcinfo, ARG_LEAD_ID, "lead_id");
	char	   *chunk_type;
	Jsonb	   *metadata;
	Datum	   *chunk_texts;
	int			nchunks;
	LsEmbeddings emb;
	LsChunkKey	key;
	MemoryContext callerctx = CurrentMemoryContext;
	TupleDesc	tupdesc;
	Datum		values[3];
	uint64		chunks_replaced;
	Datum		result[4];
	bool		result_nulls[4] = {false, false, false, false};
	HeapTuple	tuple;

	/* Check every argument before touching any table */
	if (rfp_id == NULL && lead_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rfp_id must not be null when lead_id is null"),
				 errhint("Pass rfp_id for RFP-level chunks, or lead_id to take the lead's RFP.")));
	ls_require_not_null(fcinfo, ARG_CHUNKS, "chunks");
	chunk_type = ls_optional_id(fcinfo, ARG_CHUNK_TYPE, "chunk_type");
	if (chunk_type == NULL)
		chunk_type = "analysis";
	if (PG_ARGISNULL(ARG_METADATA))
		metadata = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													  CStringGetDatum("{}")));
	else
		metadata = PG_GETARG_JSONB_P(ARG_METADATA);
	chunk_texts = ls_get_chunks(fcinfo, ARG_CHUNKS, &nchunks);
	ls_get_embeddings(fcinfo, ARG_EMBEDDINGS, ARG_EMBEDDINGS_PACKED, nchunks,
					  &emb);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* 1. The lead's RFP, which a given rfp_id must match */
	if (lead_id != NULL)
	{
		char	   *lead_rfp = ls_lead_rfp_id(lead_id);

		if (rfp_id != NULL && strcmp(rfp_id, lead_rfp) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rfp_id \"%s\" does not match lead \"%s\"",
							rfp_id, lead_id),
					 errdetail("The lead belongs to RFP \"%s\".", lead_rfp),
					 errhint("Pass rfp_id => NULL to take the lead's RFP.")));
		rfp_id = lead_rfp;
	}

	/* 2. Wait for any other call for this key, then delete its chunks */
	(void) ls_plan_get(lead_id ? LS_PLAN_AGENT_CHUNKS_DELETE :
					   LS_PLAN_AGENT_CHUNKS_DELETE_NOLEAD);
	lock_key(rfp_id, lead_id, agent_name);
	values[0] = CStringGetTextDatum(rfp_id);
	values[1] = CStringGetTextDatum(agent_name);
	values[2] = lead_id ? CStringGetTextDatum(lead_id) : (Datum) 0;
	ls_plan_execute_crosschecked(lead_id ? LS_PLAN_AGENT_CHUNKS_DELETE :
								 LS_PLAN_AGENT_CHUNKS_DELETE_NOLEAD,
								 values, NULL, SPI_OK_DELETE);
	chunks_replaced = SPI_processed;

	/* 3. Insert the new chunks */
	if (nchunks > 0)
	{
		key.rfp_id = values[0];
		key.lead_id = values[2];
		key.section_id = (Datum) 0;
		key.agent_name = values[1];
		key.chunk_type = CStringGetTextDatum(chunk_type);
		key.metadata = JsonbPGetDatum(metadata);
		ls_insert_chunks(chunk_texts, nchunks, &emb, &key);
	}

	/* Build the result in the caller's context, then leave SPI */
	MemoryContextSwitchTo(callerctx);
	result[0] = CStringGetTextDatum(rfp_id);
	result[1] = lead_id ? CStringGetTextDatum(lead_id) : (Datum) 0;
	result_nulls[1] = lead_id == NULL;
	result[2] = Int32GetDatum(nchunks);
	result[3] = Int32GetDatum((int32) Min(chunks_replaced, (uint64) PG_INT32_MAX));
	tuple = heap_form_tuple(tupdesc, result, result_nulls);
	SPI_finish();

	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}
