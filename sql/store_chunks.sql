--
-- store_chunks: chunks that belong to no section.  One call replaces the
-- chunks of one key (rfp_id, lead_id, agent_name) that have no section_id:
-- lead_id NULL matches only NULL; another agent, another lead and every
-- section chunk are left alone.  Errors leave every table as it was.
--
\set SHOW_CONTEXT never
\set VERBOSITY default

-- the chunks of the keys used below, without generated ids and timestamps
CREATE VIEW agent_chunks AS
SELECT rfp_id, lead_id, section_id, agent_name, chunk_type, chunk_index,
	   content, embedding, metadata
FROM rfp_embeddings
WHERE agent_name LIKE 'sc-%'
ORDER BY rfp_id, lead_id NULLS FIRST, agent_name, section_id NULLS FIRST, chunk_index;

--
-- RFP-level chunks (no lead): rfp_id is required, lead_id stays NULL
--
BEGIN;
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['l0', 'l1'],
	'{{1,2},{3,4}}');
SELECT count(*) AS created_now, bool_and(id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$') AS uuidv7,
	   array_agg(chunk_index ORDER BY id) AS index_in_id_order
FROM rfp_embeddings WHERE agent_name = 'sc-legal' AND created_at = now();
COMMIT;
SELECT * FROM agent_chunks;

-- a re-run replaces exactly that key's chunks
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['n0', 'n1', 'n2'],
	'{{5},{6},{7}}', chunk_type => 'summary', metadata => '{"run": 2}');
SELECT * FROM agent_chunks;

--
-- lead-level chunks: the rfp_id is taken from the lead ...
--
SELECT * FROM leadstore.store_chunks(NULL, 'sc-legal', ARRAY['lead chunk'], '{8}',
	lead_id => 'lead-1');
-- ... or given, and then it must be the lead's
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-refs', ARRAY['r0'], '{9}',
	lead_id => 'lead-5');
-- the RFP-level chunks of sc-legal are another key: untouched
SELECT * FROM agent_chunks;

-- a section's chunks with the same agent name are never touched
SELECT chunks_written FROM leadstore.store_section_result('lead-1', 'sc-section',
	'{}', chunks => ARRAY['s0', 's1'], embeddings => '{{1},{2}}',
	agent_name => 'sc-legal');
SELECT rfp_id, lead_id, chunks_written, chunks_replaced
FROM leadstore.store_chunks(NULL, 'sc-legal', ARRAY['lead chunk 2'], '{10}',
	lead_id => 'lead-1');
SELECT lead_id, section_id, chunk_index, content FROM agent_chunks
WHERE lead_id = 'lead-1';

-- another lead of the same RFP, the same agent: its own key
SELECT chunks_written, chunks_replaced FROM leadstore.store_chunks(NULL, 'sc-legal',
	ARRAY['lead 5'], '{11}', lead_id => 'lead-5');
SELECT lead_id, count(*) FROM agent_chunks
WHERE agent_name = 'sc-legal' AND section_id IS NULL GROUP BY lead_id ORDER BY lead_id NULLS FIRST;

-- an empty array is valid: it just deletes that key's chunks
SELECT * FROM leadstore.store_chunks(NULL, 'sc-legal', '{}', lead_id => 'lead-5');
SELECT * FROM leadstore.store_chunks(NULL, 'sc-legal', '{}', '{}', lead_id => 'lead-5');
SELECT * FROM leadstore.store_chunks(NULL, 'sc-legal', '{}',
	embeddings_packed => '\x', lead_id => 'lead-5');
SELECT count(*) AS lead_5_chunks FROM agent_chunks
WHERE lead_id = 'lead-5' AND agent_name = 'sc-legal';

-- metadata: stored on every chunk as given; NULL is {}; chunk_type NULL is
-- the default
SELECT chunks_written FROM leadstore.store_chunks('rfp-2', 'sc-meta', ARRAY['a', 'b'],
	'{{1},{2}}', chunk_type => 'library',
	metadata => '{"source": "component-library", "n": [1, 2]}');
SELECT chunk_index, chunk_type, metadata FROM agent_chunks WHERE agent_name = 'sc-meta';
SELECT chunks_written FROM leadstore.store_chunks('rfp-2', 'sc-meta', ARRAY['a'],
	'{1}', chunk_type => NULL, metadata => NULL);
SELECT chunk_index, chunk_type, metadata FROM agent_chunks WHERE agent_name = 'sc-meta';

--
-- both embedding forms, bit for bit: a 3072-float embedding with -0,
-- subnormals and the extreme normal floats (as in section_store)
--
CREATE TEMP TABLE wide AS
SELECT array_agg(CASE i
		WHEN 1 THEN '-0'::real
		WHEN 2 THEN '1.4e-45'::real
		WHEN 3 THEN '3.4028235e38'::real
		WHEN 4 THEN '1.1754944e-38'::real
		WHEN 5 THEN '-1.1754942e-38'::real
		ELSE (sin(i) * 10 ^ (i % 7 - 3))::real END ORDER BY i) AS v
FROM generate_series(1, 3072) i;
CREATE TEMP TABLE wide_packed AS
SELECT string_agg(substr(b, 4, 1) || substr(b, 3, 1) || substr(b, 2, 1) ||
				  substr(b, 1, 1), ''::bytea ORDER BY ord) AS p
FROM wide, unnest(v) WITH ORDINALITY AS u(f, ord), float4send(f) AS b;
SELECT chunks_written FROM leadstore.store_chunks('rfp-1', 'sc-array', ARRAY['w'],
	(SELECT v FROM wide));
SELECT chunks_written FROM leadstore.store_chunks('rfp-1', 'sc-packed', ARRAY['w'],
	embeddings_packed => (SELECT p FROM wide_packed));
-- 1-D for one chunk, 2-D for three, packed for three
SELECT chunks_written FROM leadstore.store_chunks('rfp-1', 'sc-array-3', ARRAY['a', 'b', 'c'],
	(SELECT array[v, v, v] FROM wide));
SELECT chunks_written FROM leadstore.store_chunks('rfp-1', 'sc-packed-3', ARRAY['a', 'b', 'c'],
	embeddings_packed => (SELECT p || p || p FROM wide_packed));
SELECT e.agent_name, count(*) AS chunks, min(array_length(e.embedding, 1)) AS dim,
	   bool_and((SELECT array_agg(float4send(x)) FROM unnest(e.embedding) x) =
				(SELECT array_agg(float4send(x)) FROM wide, unnest(wide.v) x)) AS bit_exact
FROM rfp_embeddings e WHERE e.agent_name IN ('sc-array', 'sc-packed', 'sc-array-3', 'sc-packed-3')
GROUP BY 1 ORDER BY 1;

-- 37 chunks, in insert batches: every row keeps its own index and values
SELECT chunks_written FROM leadstore.store_chunks('rfp-2', 'sc-batches',
	(SELECT array_agg('c' || i ORDER BY i) FROM generate_series(0, 36) i),
	(SELECT array_agg(ARRAY[i, -i]::real[] ORDER BY i) FROM generate_series(0, 36) i));
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE content = 'c' || chunk_index
					   AND embedding = ARRAY[chunk_index, -chunk_index]::real[]) AS matching
FROM rfp_embeddings WHERE agent_name = 'sc-batches';

-- the call rolls back with the caller's transaction
SELECT snapshot();
BEGIN;
SELECT chunks_written FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['x'], '{1}');
ROLLBACK;
SELECT unchanged();

--
-- errors: each leaves every table unchanged
--
SELECT snapshot();

-- 22004: rfp_id and lead_id both NULL, agent_name or chunks NULL
SELECT * FROM leadstore.store_chunks(NULL, 'sc-legal', ARRAY['x'], '{1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', NULL, ARRAY['x'], '{1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', NULL, '{1}');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: empty ids and names
SELECT * FROM leadstore.store_chunks('', 'sc-legal', ARRAY['x'], '{1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', '', ARRAY['x'], '{1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['x'], '{1}',
	lead_id => '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['x'], '{1}',
	chunk_type => '');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: the rfp_id given is not the lead's
SELECT * FROM leadstore.store_chunks('rfp-2', 'sc-legal', ARRAY['x'], '{1}',
	lead_id => 'lead-1');
\echo :LAST_ERROR_SQLSTATE
-- (also with an empty chunk array: nothing is deleted)
SELECT * FROM leadstore.store_chunks('rfp-2', 'sc-legal', '{}', lead_id => 'lead-1');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- P0002: the lead does not exist
SELECT * FROM leadstore.store_chunks(NULL, 'sc-legal', ARRAY['x'], '{1}',
	lead_id => 'no-such-lead');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', '{}', lead_id => 'no-such-lead');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- an RFP that does not exist: the data model's foreign key (PostgreSQL's
-- own error)
SELECT * FROM leadstore.store_chunks('no-such-rfp', 'sc-legal', ARRAY['x'], '{1}');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: chunks and embeddings
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['x'], '{1}',
	embeddings_packed => '\x0000803f');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', '{}', '{1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a', 'b'], '{{1,2}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a', 'b'], '{1,2}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a'], '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a'], '{{{1}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', '{{a},{b}}', '{{1},{2}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a', NULL], '{{1},{2}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a', 'b'], '{{1},{NULL}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a'], '{1,NaN}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a'], '{-Infinity}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a'],
	embeddings_packed => '\x0000803f0000c07f');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a'],
	embeddings_packed => '\x0000803f00');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a', 'b'],
	embeddings_packed => '\x0000803f');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a'],
	embeddings_packed => '\x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', '{}',
	embeddings_packed => '\x0000803f');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a'],
	array_fill(1::real, ARRAY[16001]));
\echo :LAST_ERROR_SQLSTATE
SET leadstore.embedding_dimensions = 3;
SELECT * FROM leadstore.store_chunks('rfp-1', 'sc-legal', ARRAY['a'], '{1,2}');
\echo :LAST_ERROR_SQLSTATE
RESET leadstore.embedding_dimensions;
SELECT unchanged();

-- an error after the old chunks were deleted (here a trigger refusing the
-- second new chunk) leaves the old ones in place
CREATE FUNCTION regress_refuse_second() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.agent_name = 'sc-legal' AND NEW.chunk_index = 1 THEN
		RAISE EXCEPTION 'second chunk refused';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER regress_refuse_second BEFORE INSERT ON rfp_embeddings
	FOR EACH ROW EXECUTE FUNCTION regress_refuse_second();
SELECT * FROM leadstore.store_chunks(NULL, 'sc-legal', ARRAY['a', 'b'], '{{1},{2}}',
	lead_id => 'lead-1');
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER regress_refuse_second ON rfp_embeddings;
DROP FUNCTION regress_refuse_second();
SELECT unchanged();

DELETE FROM rfp_embeddings WHERE agent_name LIKE 'sc-%';
DELETE FROM lead_section_data WHERE section_id = 'sc-section';
DROP VIEW agent_chunks;
