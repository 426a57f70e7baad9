--
-- store_chunks.sql
--		store_chunks over state: chunks that belong to no section, keyed by
--		(rfp_id, lead_id, agent_name) with lead_id NULL matching NULL.
--		- RFP-level (no lead) and lead-level calls: the rows written (ids,
--		  timestamps, chunk_index 0..n-1, chunk_type, metadata, section_id
--		  NULL), rfp_id taken from the lead when not given;
--		- a re-run replaces exactly that key's chunks: not another agent's,
--		  not another lead's, not the RFP-level chunks of the same agent, and
--		  never a row with a section_id (a section's chunks);
--		- an empty chunks array deletes the key's chunks;
--		- every error, each followed by a check that nothing was written;
--		- the packed and real[] embedding forms store bit-identical rows;
--		- the call takes a transaction-level advisory lock and no lock on the
--		  lead beyond the foreign keys' FOR KEY SHARE.
--
BEGIN;
SELECT plan(79);

CREATE EXTENSION pgrowlocks;	-- rolled back with the rest

INSERT INTO public.business_units (id, name) VALUES ('sc-bu', 'Chunks BU');
INSERT INTO public.rfps (id, title)
VALUES ('sc-rfp-1', 'Chunks RFP 1'), ('sc-rfp-2', 'Chunks RFP 2');
INSERT INTO public.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('sc-lead-1', 'sc-rfp-1', 'sc-bu', 'Customer 1'),
	   ('sc-lead-2', 'sc-rfp-1', 'sc-bu', 'Customer 2'),
	   ('sc-lead-3', 'sc-rfp-2', 'sc-bu', 'Customer 3');

CREATE FUNCTION pg_temp.is_uuidv7(id text) RETURNS boolean LANGUAGE sql AS $$
	SELECT id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
$$;
-- n x d real[] (row-major) as packed little-endian float32
CREATE FUNCTION pg_temp.pack(a real[]) RETURNS bytea LANGUAGE sql AS $$
	SELECT decode(string_agg(substr(h, 7, 2) || substr(h, 5, 2) || substr(h, 3, 2) || substr(h, 1, 2),
	                         '' ORDER BY o), 'hex')
	FROM unnest(a) WITH ORDINALITY AS u(x, o),
	     LATERAL encode(float4send(u.x), 'hex') AS h
$$;
-- Every row of the tables a call could write, with its version
CREATE FUNCTION pg_temp.data_state()
RETURNS TABLE (tbl text, row_ctid text, row_xmin text, row_text text)
LANGUAGE sql AS $$
	SELECT 'leads', ctid::text, xmin::text, t::text FROM public.leads t
	UNION ALL SELECT 'lead_section_data', ctid::text, xmin::text, t::text FROM public.lead_section_data t
	UNION ALL SELECT 'rfp_embeddings', ctid::text, xmin::text, t::text FROM public.rfp_embeddings t
$$;
CREATE TEMP TABLE baseline AS SELECT * FROM pg_temp.data_state();
CREATE PROCEDURE pg_temp.take_baseline() LANGUAGE sql AS $$
	DELETE FROM baseline;
	INSERT INTO baseline SELECT * FROM pg_temp.data_state();
$$;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql AS $$
	SELECT NOT EXISTS (SELECT * FROM pg_temp.data_state() EXCEPT ALL SELECT * FROM baseline)
	   AND NOT EXISTS (SELECT * FROM baseline EXCEPT ALL SELECT * FROM pg_temp.data_state());
$$;
-- The chunks of one key, in order
CREATE FUNCTION pg_temp.key_chunks(rfp text, lead text, agent text)
RETURNS TABLE (chunk_type text, chunk_index int, content text, metadata jsonb, embedding real[])
LANGUAGE sql AS $$
	SELECT chunk_type, chunk_index, content, metadata, embedding
	FROM public.rfp_embeddings
	WHERE rfp_id = rfp AND lead_id IS NOT DISTINCT FROM lead AND agent_name = agent
	  AND section_id IS NULL
	ORDER BY chunk_index
$$;

--
-- 1. RFP-level chunks (no lead)
--
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('sc-rfp-1', 'rfp-ingest',
	      '{page one,page two,page three}', '{{1,2},{3,4},{5,6}}')$$,
	$$VALUES ('sc-rfp-1', NULL::text, 3, 0)$$,
	'RFP-level first store: rfp_id as given, lead_id NULL, 3 written, none replaced');
SELECT results_eq(
	$$SELECT rfp_id, lead_id, section_id, agent_name, chunk_type, chunk_index, content,
	         metadata, embedding, created_at
	  FROM public.rfp_embeddings WHERE agent_name = 'rfp-ingest' ORDER BY chunk_index$$,
	$$VALUES
	  ('sc-rfp-1', NULL::text, NULL::text, 'rfp-ingest', 'analysis', 0, 'page one', '{}'::jsonb, '{1,2}'::real[], now()),
	  ('sc-rfp-1', NULL, NULL, 'rfp-ingest', 'analysis', 1, 'page two', '{}'::jsonb, '{3,4}'::real[], now()),
	  ('sc-rfp-1', NULL, NULL, 'rfp-ingest', 'analysis', 2, 'page three', '{}'::jsonb, '{5,6}'::real[], now())$$,
	'the RFP-level rows: no lead, no section, chunk_type analysis, chunk_index 0..2, metadata {} (NULL given), created_at = now()');
SELECT is_empty(
	$$SELECT 1 FROM public.rfp_embeddings WHERE agent_name = 'rfp-ingest' AND NOT pg_temp.is_uuidv7(id)$$,
	'every chunk id is UUIDv7 text');
SELECT results_eq(
	$$SELECT array_agg(id ORDER BY chunk_index) FROM public.rfp_embeddings WHERE agent_name = 'rfp-ingest'$$,
	$$SELECT array_agg(id ORDER BY id COLLATE "C") FROM public.rfp_embeddings WHERE agent_name = 'rfp-ingest'$$,
	'chunk ids are time-ordered: they sort like chunk_index');
SELECT ok(
	(SELECT count(*) > 0 FROM pg_catalog.pg_locks
	 WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid() AND mode = 'ExclusiveLock'
	   AND granted),
	'the call holds a transaction-level advisory lock (ExclusiveLock) for its key');

--
-- 2. Lead-level chunks: rfp_id from the lead
--
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks(rfp_id => NULL, agent_name => 'legal-check',
	      chunks => '{clause 1,clause 2}', embeddings => '{{1,0},{0,1}}',
	      lead_id => 'sc-lead-1', chunk_type => 'legal', metadata => '{"source": "contract.pdf", "pages": [1, 2]}')$$,
	$$VALUES ('sc-rfp-1', 'sc-lead-1', 2, 0)$$,
	'lead-level first store with rfp_id NULL: rfp_id taken from the lead');
SELECT results_eq(
	$$SELECT * FROM pg_temp.key_chunks('sc-rfp-1', 'sc-lead-1', 'legal-check')$$,
	$$VALUES ('legal', 0, 'clause 1', '{"source": "contract.pdf", "pages": [1, 2]}'::jsonb, '{1,0}'::real[]),
	         ('legal', 1, 'clause 2', '{"source": "contract.pdf", "pages": [1, 2]}'::jsonb, '{0,1}'::real[])$$,
	'the lead-level rows: the given chunk_type, the metadata on every row, one embedding row each');
SELECT results_eq(
	$$SELECT r.modes FROM pgrowlocks('public.leads') r
	  JOIN public.leads l ON l.ctid = r.locked_row WHERE l.id = 'sc-lead-1'$$,
	$$VALUES ('{"For Key Share"}'::text[])$$,
	'store_chunks holds no lock on the lead beyond the foreign key''s FOR KEY SHARE');

-- neighbours the next calls must leave alone
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('sc-rfp-1', 'legal-check', '{rfp-level legal}', '{9,9}')$$,
	$$VALUES ('sc-rfp-1', NULL::text, 1, 0)$$,
	'setup: the same agent at RFP level (lead NULL) is another key');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks(NULL, 'legal-check', '{lead 2 legal}', '{8,8}', lead_id => 'sc-lead-2')$$,
	$$VALUES ('sc-rfp-1', 'sc-lead-2', 1, 0)$$,
	'setup: the same agent for another lead of the same RFP is another key');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks(NULL, 'references', '{ref 1}', '{7,7}', lead_id => 'sc-lead-1')$$,
	$$VALUES ('sc-rfp-1', 'sc-lead-1', 1, 0)$$,
	'setup: another agent of the same lead is another key');
SELECT results_eq(
	$$SELECT chunks_written FROM leadstore.store_section_result('sc-lead-1', 'legal', '{}',
	      chunks => '{section chunk 0,section chunk 1}', embeddings => '{{6,6},{6,6}}',
	      agent_name => 'legal-check')$$,
	$$VALUES (2)$$,
	'setup: a section of the same lead whose chunks carry the same agent_name');
INSERT INTO public.rfp_embeddings (id, rfp_id, lead_id, section_id, agent_name, chunk_type,
	chunk_index, content, metadata, embedding, created_at)
VALUES ('sc-rfp-section-chunk', 'sc-rfp-1', NULL, 'appendix', 'legal-check', 'document', 0,
	'an RFP-level row with a section_id', NULL, '{5,5}', '2024-01-01');
CREATE TEMP TABLE neighbours_before AS
	SELECT * FROM pg_temp.data_state()
	WHERE tbl <> 'rfp_embeddings' OR row_text NOT LIKE '%,sc-rfp-1,sc-lead-1,,legal-check,%';
SELECT results_eq(
	$$SELECT count(*)::int FROM public.rfp_embeddings
	  WHERE rfp_id = 'sc-rfp-1' AND lead_id = 'sc-lead-1' AND section_id IS NULL AND agent_name = 'legal-check'$$,
	$$VALUES (2)$$,
	'control: the pattern for the key''s rows matches exactly its 2 rows');
SELECT results_eq(
	$$SELECT count(*)::int FROM pg_temp.data_state()
	  WHERE tbl = 'rfp_embeddings' AND row_text LIKE '%,sc-rfp-1,sc-lead-1,,legal-check,%'$$,
	$$VALUES (2)$$,
	'control: the neighbours are every other row');

--
-- 3. Re-run: exactly that key's chunks are replaced
--
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('sc-rfp-1', 'legal-check',
	      '{new clause 1,new clause 2,new clause 3}', '{{1,1},{2,2},{3,3}}', lead_id => 'sc-lead-1')$$,
	$$VALUES ('sc-rfp-1', 'sc-lead-1', 3, 2)$$,
	're-run with rfp_id and lead_id both given (agreeing): 3 written, 2 replaced');
SELECT results_eq(
	$$SELECT * FROM pg_temp.key_chunks('sc-rfp-1', 'sc-lead-1', 'legal-check')$$,
	$$VALUES ('analysis', 0, 'new clause 1', '{}'::jsonb, '{1,1}'::real[]),
	         ('analysis', 1, 'new clause 2', '{}'::jsonb, '{2,2}'::real[]),
	         ('analysis', 2, 'new clause 3', '{}'::jsonb, '{3,3}'::real[])$$,
	're-run: exactly the new chunks, chunk_type and metadata of this call (defaults)');
SELECT set_eq(
	$$SELECT * FROM pg_temp.data_state()
	  WHERE tbl <> 'rfp_embeddings' OR row_text NOT LIKE '%,sc-rfp-1,sc-lead-1,,legal-check,%'$$,
	'SELECT * FROM neighbours_before',
	're-run: the RFP-level key, the other lead, the other agent, the section''s chunks with the same agent_name and the RFP-level row with a section_id are untouched');

SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('sc-rfp-1', 'rfp-ingest', '{only page}', '{{9,9}}')$$,
	$$VALUES ('sc-rfp-1', NULL::text, 1, 3)$$,
	'RFP-level re-run: 1 written, the 3 RFP-level chunks of the agent replaced');
SELECT results_eq(
	$$SELECT * FROM pg_temp.key_chunks('sc-rfp-1', NULL, 'rfp-ingest')$$,
	$$VALUES ('analysis', 0, 'only page', '{}'::jsonb, '{9,9}'::real[])$$,
	'RFP-level re-run: exactly the new chunk (a 1 x d 2-D embedding is one row)');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('sc-rfp-2', 'rfp-ingest', '{other rfp page}', '{4,4}')$$,
	$$VALUES ('sc-rfp-2', NULL::text, 1, 0)$$,
	'the same agent for another RFP is another key: nothing replaced');
SELECT results_eq(
	$$SELECT count(*)::int FROM public.rfp_embeddings WHERE agent_name = 'rfp-ingest'$$,
	$$VALUES (2)$$,
	'one RFP-level chunk per RFP');

--
-- 4. Empty chunks delete the key's chunks; edge values
--
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('sc-rfp-1', 'references', '{}', lead_id => 'sc-lead-1')$$,
	$$VALUES ('sc-rfp-1', 'sc-lead-1', 0, 1)$$,
	'chunks ''{}'' without embeddings: the key''s chunk is deleted, none written');
SELECT is_empty($$SELECT * FROM pg_temp.key_chunks('sc-rfp-1', 'sc-lead-1', 'references')$$,
	'no chunk of the key is left');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('sc-rfp-1', 'references', '{}', '{}', lead_id => 'sc-lead-1')$$,
	$$VALUES ('sc-rfp-1', 'sc-lead-1', 0, 0)$$,
	'chunks ''{}'' with embeddings ''{}'' on an empty key: nothing to do');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('sc-rfp-1', 'references', '{}', embeddings_packed => '\x', lead_id => 'sc-lead-1')$$,
	$$VALUES ('sc-rfp-1', 'sc-lead-1', 0, 0)$$,
	'chunks ''{}'' with an empty embeddings_packed is accepted');
SELECT results_eq(
	$$SELECT chunks_written FROM leadstore.store_chunks('sc-rfp-2', 'nulls', '{"", x}', '{{1},{2}}',
	      lead_id => NULL, chunk_type => NULL, metadata => NULL)$$,
	$$VALUES (2)$$,
	'lead_id, chunk_type and metadata passed as NULL; an empty chunk text; 1-element embeddings');
SELECT results_eq(
	$$SELECT * FROM pg_temp.key_chunks('sc-rfp-2', NULL, 'nulls')$$,
	$$VALUES ('analysis', 0, '', '{}'::jsonb, '{1}'::real[]), ('analysis', 1, 'x', '{}'::jsonb, '{2}'::real[])$$,
	'chunk_type NULL means analysis, metadata NULL means {}');
SELECT results_eq(
	$$SELECT chunks_written FROM leadstore.store_chunks('sc-rfp-2', 'big', '{a}',
	      array_fill(0.5::real, ARRAY[1, 16000]))$$,
	$$VALUES (1)$$,
	'an embedding of 16000 elements (the limit) is accepted');
SELECT results_eq(
	$$SELECT * FROM leadstore.store_chunks('sc-rfp-2', 'meta', '{a}', '{1}', metadata => '[1, "x"]')$$,
	$$VALUES ('sc-rfp-2', NULL::text, 1, 0)$$,
	'any JSON metadata is stored as given');
SELECT results_eq(
	$$SELECT metadata FROM pg_temp.key_chunks('sc-rfp-2', NULL, 'meta')$$,
	$$VALUES ('[1, "x"]'::jsonb)$$,
	'the metadata array is on the row');

--
-- 5. Errors: SQLSTATE and message, nothing written
--
CALL pg_temp.take_baseline();
SELECT throws_ok($$SELECT leadstore.store_chunks(NULL, 'legal-check', '{a}', '{1}')$$,
	'22004', 'rfp_id must not be null when lead_id is null',
	'rfp_id and lead_id both NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'rfp_id and lead_id both NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-2', 'legal-check', '{a}', '{1}', lead_id => 'sc-lead-1')$$,
	'22023', 'rfp_id "sc-rfp-2" does not match lead "sc-lead-1"',
	'rfp_id given and different from the lead''s: 22023');
SELECT ok(pg_temp.unchanged(), 'rfp_id different from the lead''s: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks(NULL, 'legal-check', '{a}', '{1}', lead_id => 'sc-nope')$$,
	'P0002', 'lead "sc-nope" does not exist',
	'a missing lead: P0002');
SELECT ok(pg_temp.unchanged(), 'a missing lead: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a}', '{1}', lead_id => 'sc-nope')$$,
	'P0002', 'lead "sc-nope" does not exist',
	'a missing lead with rfp_id given: P0002');
SELECT ok(pg_temp.unchanged(), 'a missing lead with rfp_id given: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', NULL, lead_id => 'sc-lead-1')$$,
	'22004', 'chunks must not be null',
	'chunks NULL: 22004 (an empty array deletes; NULL is a mistake)');
SELECT ok(pg_temp.unchanged(), 'chunks NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', NULL, '{a}', '{1}', lead_id => 'sc-lead-1')$$,
	'22004', 'agent_name must not be null',
	'agent_name NULL: 22004');
SELECT ok(pg_temp.unchanged(), 'agent_name NULL: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', '', '{a}', '{1}', lead_id => 'sc-lead-1')$$,
	'22023', 'agent_name must not be empty',
	'agent_name empty: 22023');
SELECT ok(pg_temp.unchanged(), 'agent_name empty: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('', 'legal-check', '{a}', '{1}')$$,
	'22023', 'rfp_id must not be empty',
	'rfp_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'rfp_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks(NULL, 'legal-check', '{a}', '{1}', lead_id => '')$$,
	'22023', 'lead_id must not be empty',
	'lead_id empty: 22023');
SELECT ok(pg_temp.unchanged(), 'lead_id empty: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a}', '{1}', lead_id => 'sc-lead-1', chunk_type => '')$$,
	'22023', 'chunk_type must not be empty',
	'chunk_type empty: 22023');
SELECT ok(pg_temp.unchanged(), 'chunk_type empty: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a,b}', lead_id => 'sc-lead-1')$$,
	'22023', 'chunks need embeddings',
	'chunks without embeddings: 22023');
SELECT ok(pg_temp.unchanged(), 'chunks without embeddings: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a}', '{1}', lead_id => 'sc-lead-1', embeddings_packed => '\x0000803f')$$,
	'22023', 'embeddings and embeddings_packed cannot both be given',
	'both embedding forms: 22023');
SELECT ok(pg_temp.unchanged(), 'both embedding forms: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a,b}', '{{1,2},{3,4},{5,6}}', lead_id => 'sc-lead-1')$$,
	'22023', 'embeddings does not have one row per chunk',
	'3 embedding rows for 2 chunks: 22023');
SELECT ok(pg_temp.unchanged(), '3 embedding rows for 2 chunks: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a,NULL}', '{{1},{2}}', lead_id => 'sc-lead-1')$$,
	'22023', 'chunks element 2 is null',
	'chunks with a NULL element: 22023');
SELECT ok(pg_temp.unchanged(), 'chunks with a NULL element: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a,b}', '{{1,2},{3,NaN}}', lead_id => 'sc-lead-1')$$,
	'22023', 'embeddings element [2][2] is NaN',
	'an embedding with NaN: 22023');
SELECT ok(pg_temp.unchanged(), 'an embedding with NaN: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a}', embeddings_packed => '\x0000803f0000', lead_id => 'sc-lead-1')$$,
	'22023', 'embeddings_packed length 6 is not a positive multiple of 4 x 1',
	'packed length 6: 22023');
SELECT ok(pg_temp.unchanged(), 'packed length 6: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a}', embeddings_packed => '\x000080ff', lead_id => 'sc-lead-1')$$,
	'22023', 'embeddings_packed element [1][1] is -Infinity',
	'packed -Infinity: 22023');
SELECT ok(pg_temp.unchanged(), 'packed -Infinity: nothing written');
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a}', array_fill(0.5::real, ARRAY[16001]), lead_id => 'sc-lead-1')$$,
	'22023', 'embeddings has dimension 16001',
	'dimension 16001: 22023');
SELECT ok(pg_temp.unchanged(), 'dimension 16001: nothing written');
SET LOCAL leadstore.embedding_dimensions = 3;
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-1', 'legal-check', '{a}', '{1,2}', lead_id => 'sc-lead-1')$$,
	'22023', 'embeddings has dimension 2, expected 3',
	'dimension 2 with leadstore.embedding_dimensions = 3: 22023');
SELECT ok(pg_temp.unchanged(), 'dimension 2 with leadstore.embedding_dimensions = 3: nothing written');
SET LOCAL leadstore.embedding_dimensions = 0;
SELECT throws_ok($$SELECT leadstore.store_chunks('sc-rfp-missing', 'legal-check', '{a}', '{1}')$$,
	'23503', 'insert or update on table "rfp_embeddings" violates foreign key constraint "rfp_embeddings_rfp_id_fkey"',
	'an RFP-level store for an RFP that does not exist: the foreign key''s 23503');
SELECT ok(pg_temp.unchanged(), 'an RFP that does not exist: nothing written');

--
-- 6. Packed and real[] forms store bit-identical rows (3072 floats)
--
CREATE TEMP TABLE vectors AS
	SELECT ARRAY(
		SELECT CASE i
			WHEN 1 THEN '-0'::real
			WHEN 2 THEN '1.4e-45'::real			-- smallest subnormal
			WHEN 3 THEN '1e-40'::real			-- a subnormal
			WHEN 4 THEN '3.4028235e38'::real	-- largest
			ELSE (sin(i) * 10 ^ ((i % 21) - 10))::real
		END
		FROM generate_series(1, 3072) i ORDER BY i) AS v1,
	ARRAY(
		SELECT (cos(i) / (i + 0.1))::real
		FROM generate_series(1, 3072) i ORDER BY i) AS v2;
SET LOCAL leadstore.embedding_dimensions = 3072;
SELECT results_eq(
	$$SELECT chunks_written FROM vectors, leadstore.store_chunks(NULL, 'vec-array', '{first,second}',
	      ARRAY[v1, v2], lead_id => 'sc-lead-3')$$,
	$$VALUES (2)$$, '2 x 3072 embeddings as real[] stored');
SELECT results_eq(
	$$SELECT chunks_written FROM vectors, leadstore.store_chunks(NULL, 'vec-packed', '{first,second}',
	      embeddings_packed => pg_temp.pack(ARRAY[v1, v2]), lead_id => 'sc-lead-3')$$,
	$$VALUES (2)$$, '2 x 3072 embeddings as packed bytea stored');
SELECT results_eq(
	$$SELECT chunk_index, array_send(embedding) FROM public.rfp_embeddings
	  WHERE lead_id = 'sc-lead-3' AND agent_name = 'vec-packed' ORDER BY chunk_index$$,
	$$SELECT chunk_index, array_send(embedding) FROM public.rfp_embeddings
	  WHERE lead_id = 'sc-lead-3' AND agent_name = 'vec-array' ORDER BY chunk_index$$,
	'packed and real[] forms store bit-identical embeddings (array_send, -0 and subnormals included)');
SELECT results_eq(
	$$SELECT chunk_index, array_send(embedding) FROM public.rfp_embeddings
	  WHERE lead_id = 'sc-lead-3' AND agent_name = 'vec-packed' ORDER BY chunk_index$$,
	$$SELECT 0, array_send(v1) FROM vectors UNION ALL SELECT 1, array_send(v2) FROM vectors$$,
	'the stored embeddings are bit for bit the input rows');
SELECT results_eq(
	$$SELECT rfp_id, chunk_type, chunk_index, content, metadata FROM public.rfp_embeddings
	  WHERE lead_id = 'sc-lead-3' AND agent_name = 'vec-packed' ORDER BY chunk_index$$,
	$$SELECT rfp_id, chunk_type, chunk_index, content, metadata FROM public.rfp_embeddings
	  WHERE lead_id = 'sc-lead-3' AND agent_name = 'vec-array' ORDER BY chunk_index$$,
	'the other columns of the two forms'' rows agree too');
SET LOCAL leadstore.embedding_dimensions = 0;

--
-- 7. All or nothing: a failing chunk insert leaves the key's old chunks,
--	and ROLLBACK TO SAVEPOINT removes a successful call
--
CREATE FUNCTION public.sc_reject_second_chunk() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.agent_name = 'legal-check' AND NEW.chunk_index = 1 THEN
		RAISE EXCEPTION 'chunk % rejected by trigger', NEW.chunk_index USING ERRCODE = 'LSX04';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER sc_reject_second_chunk BEFORE INSERT ON public.rfp_embeddings
	FOR EACH ROW EXECUTE FUNCTION public.sc_reject_second_chunk();
CALL pg_temp.take_baseline();
SELECT throws_ok(
	$$SELECT leadstore.store_chunks(NULL, 'legal-check', '{x,y}', '{{1,1},{2,2}}', lead_id => 'sc-lead-1')$$,
	'LSX04', 'chunk 1 rejected by trigger',
	'a trigger error on the second chunk (after the delete of the old ones) propagates');
SELECT ok(pg_temp.unchanged(), 'the trigger error: the key''s 3 old chunks are in place, nothing else written');
DROP TRIGGER sc_reject_second_chunk ON public.rfp_embeddings;
SAVEPOINT before_store;
SELECT chunks_replaced AS sp_replaced
FROM leadstore.store_chunks(NULL, 'legal-check', '{savepoint chunk}', '{1,1}', lead_id => 'sc-lead-1')
\gset
ROLLBACK TO SAVEPOINT before_store;
SELECT is(:sp_replaced, 3, 'setup: inside the savepoint the call replaced the key''s 3 chunks');
SELECT ok(pg_temp.unchanged(), 'after ROLLBACK TO SAVEPOINT the call left no trace');

SELECT * FROM finish();
ROLLBACK;
