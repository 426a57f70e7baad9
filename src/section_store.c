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
 * Embeddings arrive as an n x d real[] or as packed little-endian float32
 * (bytea).  Either way each chunk row is bound as its own 1-D real[] built by
 * copying the row's floats into one reused buffer: no float text is parsed
 * or printed, and both forms store bit-identical values.
 *
 * IDENTIFICATION
 *	  src/section_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
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
 * The embeddings of one call, checked: rows x dim floats at data, row-major.
 * data points into the argument itself; packed data is little-endian and
 * possibly unaligned, so it is only ever read through memcpy.
 */
typedef struct LsEmbeddings
{
	int			rows;
	int			dim;
	const char *data;
	bool		packed;
	const char *argname;
} LsEmbeddings;

/*
 * array_data -- the first element of an array without NULL elements
 *		(ARR_DATA_PTR, without its signed/unsigned mix that -Wextra reports)
 */
static inline char *
array_data(ArrayType *a)
{
	return (char *) a + (ARR_HASNULL(a) ? (Size) a->dataoffset :
						 (Size) ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));
}

/*
 * check_confidence -- 22023 unless 0..100
 */
static void
check_confidence(int32 confidence)
{
	if (confidence < 0 || confidence > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence %d is out of range", confidence),
				 errdetail("confidence must be between 0 and 100.")));
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
 * check_sources -- 22023 unless sources is a JSON array of strings
 */
static void
check_sources(Jsonb *sources)
{
	uint32		n;
	uint32		i;

	if (!JB_ROOT_IS_ARRAY(sources) || JB_ROOT_IS_SCALAR(sources))
	{
		JsonbValue	v;

		if (JB_ROOT_IS_SCALAR(sources))
			JsonbExtractScalar(&sources->root, &v);
		else
		{
			v.type = jbvBinary;
			v.val.binary.data = &sources->root;
		}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sources must be a JSON array of strings"),
				 errdetail("sources is a JSON %s.", jsonb_kind(&v))));
	}

	n = JsonContainerSize(&sources->root);
	for (i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(&sources->root, i);

		if (v->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sources must be a JSON array of strings"),
					 errdetail("Element %u of sources is a JSON %s.",
							   i, jsonb_kind(v))));
	}
}

/*
 * get_chunks -- the chunk texts, checked: a 1-D text[] without NULLs
 *		Sets *n (0 for NULL or empty) and returns the element datums.
 */
static Datum *
get_chunks(FunctionCallInfo fcinfo, int *n)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			i;

	*n = 0;
	if (PG_ARGISNULL(ARG_CHUNKS))
		return NULL;
	arr = PG_GETARG_ARRAYTYPE_P(ARG_CHUNKS);
	if (ARR_NDIM(arr) == 0)
		return NULL;
	if (ARR_NDIM(arr) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("chunks must be a one-dimensional array"),
				 errdetail("chunks has %d dimensions.", ARR_NDIM(arr))));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, n);
	for (i = 0; i < *n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("chunks element %d is null", i + 1),
					 errdetail("Every chunk must have a text.")));
	return elems;
}

/*
 * check_dimension -- 22023 unless dim is 1..16000 and matches
 *		leadstore.embedding_dimensions when that is set
 */
static void
check_dimension(const char *argname, int dim)
{
	if (dim < 1 || dim > LS_MAX_DIMENSIONS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has dimension %d", argname, dim),
				 errdetail("An embedding must have between 1 and %d elements.",
						   LS_MAX_DIMENSIONS)));
	if (leadstore_embedding_dimensions > 0 &&
		dim != leadstore_embedding_dimensions)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has dimension %d, expected %d",
						argname, dim, leadstore_embedding_dimensions),
				 errdetail("leadstore.embedding_dimensions is %d.",
						   leadstore_embedding_dimensions)));
}

/*
 * check_rows -- 22023 unless there is one embedding row per chunk
 */
static void
check_rows(const char *argname, int rows, int nchunks)
{
	if (rows != nchunks)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s does not have one row per chunk", argname),
				 errdetail("Number of chunks: %d.  Number of %s rows: %d.",
						   nchunks, argname, rows),
				 errhint("Pass an n x d array for n chunks, or a 1-D array for one chunk.")));
}

/*
 * get_embeddings -- the embeddings of the call, checked against nchunks
 *		Exactly one form may be given when there are chunks; with no chunks,
 *		either form must be empty.  Finite values are checked separately
 *		(check_finite) on the same pass over the data for both forms.
 */
static void
get_embeddings(FunctionCallInfo fcinfo, int nchunks, LsEmbeddings *emb)
{
	bool		have_array = !PG_ARGISNULL(ARG_EMBEDDINGS);
	bool		have_packed = !PG_ARGISNULL(ARG_EMBEDDINGS_PACKED);

	memset(emb, 0, sizeof(*emb));
	if (have_array && have_packed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("embeddings and embeddings_packed cannot both be given"),
				 errhint("Pass the embeddings in one form only.")));
	if (!have_array && !have_packed)
	{
		if (nchunks > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("chunks need embeddings"),
					 errdetail("Number of chunks: %d.  Neither embeddings nor embeddings_packed was given.",
							   nchunks),
					 errhint("Pass embeddings (real[]) or embeddings_packed (bytea).")));
		return;
	}

	if (have_array)
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(ARG_EMBEDDINGS);
		int			ndim = ARR_NDIM(arr);

		emb->argname = "embeddings";
		if (ndim > 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("embeddings must have 1 or 2 dimensions, not %d",
							ndim),
					 errdetail("Pass one row per chunk (n x d), or a 1-D array for one chunk.")));
		emb->rows = ndim == 0 ? 0 : ndim == 1 ? 1 : ARR_DIMS(arr)[0];
		check_rows(emb->argname, emb->rows, nchunks);
		if (emb->rows == 0)
			return;
		if (ARR_HASNULL(arr) && array_contains_nulls(arr))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("embeddings must not contain null elements")));
		emb->dim = ARR_DIMS(arr)[ndim - 1];
		emb->data = array_data(arr);
		emb->packed = false;
	}
	else
	{
		bytea	   *packed = PG_GETARG_BYTEA_PP(ARG_EMBEDDINGS_PACKED);
		Size		len = VARSIZE_ANY_EXHDR(packed);

		emb->argname = "embeddings_packed";
		if (nchunks == 0)
		{
			if (len != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("embeddings_packed does not have one row per chunk"),
						 errdetail("Number of chunks: 0.  embeddings_packed has %zu bytes.",
								   len)));
			return;
		}
		if (len == 0 || len % ((Size) 4 * nchunks) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("embeddings_packed length %zu is not a positive multiple of 4 x %d",
							len, nchunks),
					 errdetail("embeddings_packed holds n x d little-endian float32 values, row-major; n is the number of chunks (%d).",
							   nchunks)));
		emb->rows = nchunks;
		emb->dim = (len / 4 / nchunks) > INT_MAX ? INT_MAX : (int) (len / 4 / nchunks);
		emb->data = VARDATA_ANY(packed);
		emb->packed = true;
	}
	check_dimension(emb->argname, emb->dim);
}

/*
 * float_bits -- the IEEE-754 bits of element i of emb, in host order
 */
static inline uint32
float_bits(const LsEmbeddings *emb, Size i)
{
	uint32		bits;

	memcpy(&bits, emb->data + i * sizeof(float4), sizeof(uint32));
#ifdef WORDS_BIGENDIAN
	if (emb->packed)
		bits = pg_bswap32(bits);
#endif
	return bits;
}

/*
 * check_finite -- 22023 at the first NaN or infinity, naming its position
 */
static void
check_finite(const LsEmbeddings *emb)
{
	int			r;

	for (r = 0; r < emb->rows; r++)
	{
		Size		base = (Size) r * emb->dim;
		int			c;

		CHECK_FOR_INTERRUPTS();
		for (c = 0; c < emb->dim; c++)
		{
			uint32		bits = float_bits(emb, base + c);

			if ((bits & 0x7F800000) == 0x7F800000)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s element [%d][%d] is %s",
								emb->argname, r + 1, c + 1,
								(bits & 0x007FFFFF) ? "NaN" :
								(bits & 0x80000000) ? "-Infinity" : "Infinity"),
						 errdetail("Embedding values must be finite.")));
		}
	}
}

/*
 * fill_row -- copy embedding row r into the 1-D float4 array buf
 */
static void
fill_row(const LsEmbeddings *emb, int r, ArrayType *buf)
{
	char	   *dst = array_data(buf);
	Size		base = (Size) r * emb->dim;

#ifdef WORDS_BIGENDIAN
	if (emb->packed)
	{
		int			c;

		for (c = 0; c < emb->dim; c++)
		{
			uint32		bits = float_bits(emb, base + c);

			memcpy(dst + c * sizeof(float4), &bits, sizeof(float4));
		}
		return;
	}
#endif
	memcpy(dst, emb->data + base * sizeof(float4),
		   (Size) emb->dim * sizeof(float4));
}

/*
 * new_row_array -- a 1-D real[] of dim elements, to be filled by fill_row
 */
static ArrayType *
new_row_array(int dim)
{
	Size		nbytes = ARR_OVERHEAD_NONULLS(1) + (Size) dim * sizeof(float4);
	ArrayType  *a = (ArrayType *) palloc0(nbytes);

	SET_VARSIZE(a, nbytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT4OID;
	ARR_DIMS(a)[0] = dim;
	ARR_LBOUND(a)[0] = 1;
	return a;
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
 * insert_chunks -- insert one rfp_embeddings row per chunk
 *		The rows go in batches (ls_chunk_insert_plan: 16, 8, 4, 2, 1 rows per
 *		statement).  The buffers of one batch, one 1-D real[] and one id per
 *		row, are allocated once and refilled: no allocation per chunk.
 */
static void
insert_chunks(Datum *chunk_texts, int nchunks, const LsEmbeddings *emb,
			  Datum rfp_id, Datum lead_id, Datum section_id,
			  Datum agent_name, Datum chunk_type, Datum metadata)
{
	Datum		values[LS_CHUNK_SHARED_ARGS +
					   LS_CHUNK_ROW_ARGS * LS_MAX_CHUNK_BATCH];
	char		nulls[lengthof(values)];
	ArrayType  *rows[LS_MAX_CHUNK_BATCH];
	text	   *ids[LS_MAX_CHUNK_BATCH];
	int			nbuf = Min(nchunks, LS_MAX_CHUNK_BATCH);
	int			done = 0;
	int			r;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = rfp_id;
	values[1] = lead_id;
	values[2] = section_id;
	values[3] = agent_name;
	values[4] = chunk_type;
	values[5] = metadata;
	for (r = 0; r < nbuf; r++)
	{
		rows[r] = new_row_array(emb->dim);
		ids[r] = (text *) palloc(VARHDRSZ + LS_UUID_TEXT_LEN + 1);
		SET_VARSIZE(ids[r], VARHDRSZ + LS_UUID_TEXT_LEN);
	}

	while (done < nchunks)
	{
		int			batch;
		LsPlanId	plan = ls_chunk_insert_plan(nchunks - done, &batch);

		CHECK_FOR_INTERRUPTS();
		for (r = 0; r < batch; r++)
		{
			int			i = done + r;
			Datum	   *row = values + LS_CHUNK_SHARED_ARGS + r * LS_CHUNK_ROW_ARGS;

			/* ids are fixed-length: write each in place (with its NUL) */
			ls_uuidv7_text(VARDATA(ids[r]));
			fill_row(emb, i, rows[r]);
			row[0] = PointerGetDatum(ids[r]);
			row[1] = Int32GetDatum(i);
			row[2] = chunk_texts[i];
			row[3] = PointerGetDatum(rows[r]);
		}
		ls_plan_execute(plan, values, nulls, SPI_OK_INSERT, 0);
		if (SPI_processed != (uint64) batch)
			elog(ERROR, "chunk insert wrote " UINT64_FORMAT " rows, expected %d",
				 SPI_processed, batch);
		done += batch;
	}
}

/*
 * leadstore_store_section_result -- SQL: leadstore.store_section_result(
 *		lead_id, section_id, content, confidence, sources, chunks, embeddings,
 *		chunk_type, agent_name, embeddings_packed) RETURNS section_write
 *
 *		Upserts lead_section_data for (lead_id, section_id) and replaces the
 *		section's rfp_embeddings rows with one row per chunk.  Locks: none
 *		taken explicitly; the upsert locks the section row, the foreign keys
 *		take FOR KEY SHARE on the lead and its rfp.  Memory: arguments and
 *		the result live in the caller's context; the embedding buffer and
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
	int32		confidence = has_confidence ? PG_GETARG_INT32(ARG_CONFIDENCE) : 0;
	Jsonb	   *sources = NULL;
	char	   *chunk_type;
	char	   *agent_name;
	Datum	   *chunk_texts;
	int			nchunks;
	LsEmbeddings emb;
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
		check_confidence(confidence);
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
	chunk_texts = get_chunks(fcinfo, &nchunks);
	get_embeddings(fcinfo, nchunks, &emb);
	check_finite(&emb);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* 1. The lead, and its rfp_id; RLS may hide it like a missing one */
	values[0] = CStringGetTextDatum(lead_id);
	ls_plan_execute(LS_PLAN_LEAD_RFP, values, NULL, SPI_OK_SELECT, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("lead \"%s\" does not exist", lead_id)));
	rfp_id = ls_spi_text(1, &isnull);
	if (isnull)
		elog(ERROR, "lead \"%s\" has a null rfp_id", lead_id);

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
	created = strcmp(stored_id, section_row_id) == 0;

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
		insert_chunks(chunk_texts, nchunks, &emb,
					  CStringGetTextDatum(rfp_id),
					  CStringGetTextDatum(lead_id),
					  CStringGetTextDatum(section_id),
					  CStringGetTextDatum(agent_name),
					  CStringGetTextDatum(chunk_type),
					  JsonbPGetDatum(build_metadata(section_id, lead_id,
													has_confidence,
													confidence, sources)));

	/* Build the result in the caller's context, then leave SPI */
	MemoryContextSwitchTo(callerctx);
	result[0] = CStringGetTextDatum(stored_id);
	result[1] = CStringGetTextDatum(rfp_id);
	result[2] = BoolGetDatum(created);
	result[3] = Int32GetDatum(nchunks);
	result[4] = Int32GetDatum((int32) Min(chunks_replaced, (uint64) PG_INT32_MAX));
	tuple = heap_form_tuple(tupdesc, result, result_nulls);
	SPI_finish();

	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}
