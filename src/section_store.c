/*-------------------------------------------------------------------------
 *
 * section_store.c
 *	  leadstore.store_section_result: one section result for a lead, with the
 *	  RAG chunks and embeddings derived from it, written atomically.
 *
 * Every argument is checked before the first statement runs, so bad input
 * fails before anything is read or written.  Then, in the caller's
 * transaction: read the lead's rfp_id (no lock: the foreign keys take FOR KEY
 * SHARE), upsert lead_section_data, delete the section's old chunks, insert
 * the new ones.  Any error anywhere aborts the caller's (sub)transaction and
 * with it every write made here; nothing is caught.
 *
 * The upsert comes first on purpose: it takes the row lock of the
 * (lead_id, section_id) row, so two calls for the same section serialize
 * there and the later one deletes the earlier one's chunks after it
 * committed.  Calls for other sections lock other rows and do not wait.
 *
 * The chunk and embedding arguments are checked, and the chunks inserted, by
 * chunks.c, which store_chunks shares.  The section table may be the
 * application's own (model.c); it needs a unique index on (lead_id,
 * section_id) for the upsert, which is checked before it is prepared.
 *
 * IDENTIFICATION
 *	  src/section_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "leadstore.h"

/* Argument positions of leadstore.store_section_result */
#define ARG_LEAD_ID			0
#define ARG_SECTION_ID		1
#define ARG_CONTENT			2
#define ARG_CONFIDENCE		3
#define ARG_SOURCES			4
#define ARG_CHUNKS			5
#define ARG_EMBEDDINGS		6
#define ARG_CHUNK_TYPE		7
#define ARG_AGENT_NAME		8
#define ARG_EMBEDDINGS_PACKED 9

/*
 * get_confidence -- the confidence argument rounded half away from zero to
 *		an integer, which must be 0..100 (22023 otherwise, and for NaN and
 *		infinity).  Agents compute fractions such as 8.571...; the stored
 *		value and the chunks' metadata get the rounded integer.
 */
static int32
get_confidence(Numeric value)
{
	Numeric		rounded;
	char	   *text;

	text = DatumGetCString(DirectFunctionCall1(numeric_out,
											   NumericGetDatum(value)));

	if (numeric_is_nan(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence must not be NaN"),
				 errdetail("confidence must be between 0 and 100.")));
	rounded = DatumGetNumeric(DirectFunctionCall2(numeric_round,
												  NumericGetDatum(value),
												  Int32GetDatum(0)));
	if (numeric_is_inf(value) ||
		DatumGetBool(DirectFunctionCall2(numeric_lt, NumericGetDatum(rounded),
										 DirectFunctionCall1(int4_numeric,
															 Int32GetDatum(0)))) ||
		DatumGetBool(DirectFunctionCall2(numeric_gt, NumericGetDatum(rounded),
										 DirectFunctionCall1(int4_numeric,
															 Int32GetDatum(100)))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence %s is out of range", text),
				 errdetail("confidence must be between 0 and 100 after rounding to an integer.")));
	return DatumGetInt32(DirectFunctionCall1(numeric_int4,
											 NumericGetDatum(rounded)));
}

/*
 * jsonb_kind -- a JSON value's kind, for messages
 */
static const char *
jsonb_kind(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "string";
		case jbvNumeric:
			return "number";
		case jbvBool:
			return "boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "array" : "object";
		default:
			return "value";
	}
}

/*
 * check_sources -- 22023 unless sources is a JSON array or object
 *		(an application's synthesizers store an object such as
 *		{"agentName", "generatedAt", "chunks"}; agents an array of URLs)
 */
static void
check_sources(Jsonb *sources)
{
	if (JB_ROOT_IS_SCALAR(sources))
	{
		JsonbValue	v;

		JsonbExtractScalar(&sources->root, &v);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sources must be a JSON array or object"),
				 errdetail("sources is a JSON %s.", jsonb_kind(&v))));
	}
}

/*
 * push_string -- add a string value (or key) to a jsonb under construction
 */
static void
push_string(JsonbParseState **state, JsonbIteratorToken tok, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	pushJsonbValue(state, tok, &v);
}

/*
 * build_metadata -- {"sectionId", "leadId", "confidence", "sources"}
 *		the metadata every chunk row of the call gets; null members are JSON
 *		null
 */
static Jsonb *
build_metadata(const char *section_id, const char *lead_id,
			   bool has_confidence, int32 confidence, Jsonb *sources)
{
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_string(&state, WJB_KEY, "sectionId");
	push_string(&state, WJB_VALUE, section_id);
	push_string(&state, WJB_KEY, "leadId");
	push_string(&state, WJB_VALUE, lead_id);

	push_string(&state, WJB_KEY, "confidence");
	if (has_confidence)
	{
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(confidence);
	}
	else
		v.type = jbvNull;
	pushJsonbValue(&state, WJB_VALUE, &v);

	push_string(&state, WJB_KEY, "sources");
	if (sources != NULL)
	{
		v.type = jbvBinary;
		v.val.binary.data = &sources->root;
		v.val.binary.len = VARSIZE(sources) - VARHDRSZ;
	}
	else
		v.type = jbvNull;
	pushJsonbValue(&state, WJB_VALUE, &v);

	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/*
 * leadstore_store_section_result -- SQL: leadstore.store_section_result(
 *		lead_id, section_id, content, confidence, sources, chunks, embeddings,
 *		chunk_type, agent_name, embeddings_packed) RETURNS section_write
 *
 *		Upserts the section row for (lead_id, section_id) and replaces the
 *		section's chunk rows with one row per chunk.  Locks: none taken
 *		explicitly; the upsert locks the section row, the foreign keys take
 *		FOR KEY SHARE on the lead and its rfp.  Memory: arguments and the
 *		result live in the caller's context; the embedding buffers and
 *		statement results die with SPI_finish.
 */
PG_FUNCTION_INFO_V1(leadstore_store_section_result);
Datum
leadstore_store_section_result(PG_FUNCTION_ARGS)
{
	char	   *lead_id = ls_require_id(fcinfo, ARG_LEAD_ID, "lead_id");
	char	   *section_id = ls_require_id(fcinfo, ARG_SECTION_ID, "section_id");
	Jsonb	   *content;
	bool		has_confidence = !PG_ARGISNULL(ARG_CONFIDENCE);
	int32		confidence = 0;
	Jsonb	   *sources = NULL;
	char	   *chunk_type;
	char	   *agent_name;
	Datum	   *chunk_texts;
	int			nchunks;
	LsEmbeddings emb;
	LsChunkKey	key;
	MemoryContext callerctx = CurrentMemoryContext;
	TupleDesc	tupdesc;
	Datum		values[6];
	char		nulls[6];
	char		section_row_id[LS_UUID_TEXT_LEN + 1];
	char	   *stored_id;
	char	   *rfp_id;
	bool		isnull;
	bool		created;
	uint64		chunks_replaced;
	Datum		result[5];
	bool		result_nulls[5] = {false, false, false, false, false};
	HeapTuple	tuple;

	/* Check every argument before touching any table */
	ls_require_not_null(fcinfo, ARG_CONTENT, "content");
	content = PG_GETARG_JSONB_P(ARG_CONTENT);
	if (has_confidence)
	{
		/* 0.1.0's declaration, until ALTER EXTENSION UPDATE: integer */
		if (ls_declared_argtype(fcinfo, ARG_CONFIDENCE) == INT4OID)
			confidence = get_confidence(DatumGetNumeric(DirectFunctionCall1(int4_numeric,
																			PG_GETARG_DATUM(ARG_CONFIDENCE))));
		else
			confidence = get_confidence(PG_GETARG_NUMERIC(ARG_CONFIDENCE));
	}
	if (!PG_ARGISNULL(ARG_SOURCES))
	{
		sources = PG_GETARG_JSONB_P(ARG_SOURCES);
		check_sources(sources);
	}
	chunk_type = ls_optional_id(fcinfo, ARG_CHUNK_TYPE, "chunk_type");
	if (chunk_type == NULL)
		chunk_type = "analysis";
	agent_name = ls_optional_id(fcinfo, ARG_AGENT_NAME, "agent_name");
	if (agent_name == NULL)
		agent_name = psprintf("deep-scan-%s", section_id);
	chunk_texts = ls_get_chunks(fcinfo, ARG_CHUNKS, &nchunks);
	ls_get_embeddings(fcinfo, ARG_EMBEDDINGS, ARG_EMBEDDINGS_PACKED, nchunks,
					  &emb);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* 1. The lead, and its rfp_id; RLS may hide it like a missing one */
	rfp_id = ls_lead_rfp_id(lead_id);

	/* 2. Upsert the section; our fresh id comes back only on insert */
	ls_uuidv7_text(section_row_id);
	values[0] = CStringGetTextDatum(section_row_id);
	values[1] = CStringGetTextDatum(lead_id);
	values[2] = CStringGetTextDatum(section_id);
	values[3] = JsonbPGetDatum(content);
	values[4] = Int32GetDatum(confidence);
	values[5] = sources ? JsonbPGetDatum(sources) : (Datum) 0;
	memset(nulls, ' ', sizeof(nulls));
	nulls[4] = has_confidence ? ' ' : 'n';
	nulls[5] = sources ? ' ' : 'n';
	ls_plan_execute(LS_PLAN_SECTION_UPSERT, values, nulls,
					SPI_OK_INSERT_RETURNING, 0);
	if (SPI_processed != 1)
		elog(ERROR, "section upsert returned " UINT64_FORMAT " rows",
			 SPI_processed);
	stored_id = ls_spi_text(1, &isnull);
	created = !isnull && strcmp(stored_id, section_row_id) == 0;

	/* 3. Delete the section's previous chunks */
	values[0] = CStringGetTextDatum(lead_id);
	values[1] = CStringGetTextDatum(section_id);
	ls_plan_execute(LS_PLAN_CHUNKS_DELETE, values, NULL, SPI_OK_DELETE, 0);
	chunks_replaced = SPI_processed;

	/*
	 * 4. Insert the new chunks, up to LS_MAX_CHUNK_BATCH rows per statement,
	 * each embedding bound as its own 1-D real[]
	 */
	if (nchunks > 0)
	{
		key.rfp_id = CStringGetTextDatum(rfp_id);
		key.lead_id = CStringGetTextDatum(lead_id);
		key.section_id = CStringGetTextDatum(section_id);
		key.agent_name = CStringGetTextDatum(agent_name);
		key.chunk_type = CStringGetTextDatum(chunk_type);
		key.metadata = JsonbPGetDatum(build_metadata(section_id, lead_id,
													 has_confidence,
													 confidence, sources));
		ls_insert_chunks(chunk_texts, nchunks, &emb, &key);
	}

	/* Build the result in the caller's context, then leave SPI */
	MemoryContextSwitchTo(callerctx);
	result[0] = stored_id ? CStringGetTextDatum(stored_id) : (Datum) 0;
	result_nulls[0] = stored_id == NULL;
	result[1] = CStringGetTextDatum(rfp_id);
	result[2] = BoolGetDatum(created);
	result[3] = Int32GetDatum(nchunks);
	result[4] = Int32GetDatum((int32) Min(chunks_replaced, (uint64) PG_INT32_MAX));
	tuple = heap_form_tuple(tupdesc, result, result_nulls);
	SPI_finish();

	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}
