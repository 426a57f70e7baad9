/*-------------------------------------------------------------------------
 *
 * chunks.c
 *	  RAG chunks and their embeddings: the checks of the chunk and embedding
 *	  arguments and the chunk insert, shared by store_section_result and
 *	  store_chunks.
 *
 * Embeddings arrive as an n x d real[] or as packed little-endian float32
 * (bytea).  Either way each chunk row is bound as its own 1-D real[] built by
 * copying the row's floats into one reused buffer: no float text is parsed
 * or printed, and both forms store bit-identical values.  A column of
 * pgvector's vector or halfvec type takes that real[] through pgvector's
 * assignment cast, which applies only to 1-D arrays.
 *
 * IDENTIFICATION
 *	  src/chunks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "leadstore.h"

static void check_finite(const LsEmbeddings *emb);

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
 * ls_get_chunks -- the chunk texts of argument argno, checked: a 1-D text[]
 *		without NULLs.  Sets *n (0 for NULL or empty) and returns the element
 *		datums.
 */
Datum *
ls_get_chunks(FunctionCallInfo fcinfo, int argno, int *n)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			i;

	*n = 0;
	if (PG_ARGISNULL(argno))
		return NULL;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
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
 * ls_get_embeddings -- the embeddings of the call, checked against nchunks
 *		arg_array is the real[] argument, arg_packed the bytea one.  Exactly
 *		one form may be given when there are chunks; with no chunks, either
 *		form must be empty.  Every value must be finite (check_finite, one
 *		pass over the data for both forms).
 */
void
ls_get_embeddings(FunctionCallInfo fcinfo, int arg_array, int arg_packed,
				  int nchunks, LsEmbeddings *emb)
{
	bool		have_array = !PG_ARGISNULL(arg_array);
	bool		have_packed = !PG_ARGISNULL(arg_packed);

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
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(arg_array);
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
		bytea	   *packed = PG_GETARG_BYTEA_PP(arg_packed);
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
	check_finite(emb);
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
 * ls_insert_chunks -- insert one chunk-table row per chunk, with chunk_index
 *		0..nchunks-1 and the values of key on every row
 *		The rows go in batches (ls_chunk_insert_plan: 16, 8, 4, 2, 1 rows per
 *		statement).  The buffers of one batch, one 1-D real[] and one id per
 *		row, are allocated once and refilled: no allocation per chunk.
 */
void
ls_insert_chunks(Datum *chunk_texts, int nchunks, const LsEmbeddings *emb,
				 const LsChunkKey *key)
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
	values[0] = key->rfp_id;
	values[1] = key->lead_id;
	nulls[1] = key->lead_id == (Datum) 0 ? 'n' : ' ';
	values[2] = key->section_id;
	nulls[2] = key->section_id == (Datum) 0 ? 'n' : ' ';
	values[3] = key->agent_name;
	values[4] = key->chunk_type;
	values[5] = key->metadata;
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
