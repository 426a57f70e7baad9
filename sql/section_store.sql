--
-- section_store: leadstore.store_section_result behaviour
--
\set SHOW_CONTEXT never

-- a view of lead-1's chunks without the generated ids and timestamps
CREATE VIEW chunks AS
SELECT lead_id, section_id, rfp_id, chunk_index, content, embedding,
	   agent_name, chunk_type, metadata
FROM rfp_embeddings
ORDER BY lead_id, section_id, chunk_index;

-- first write: the section is created, two chunks with a 2-D embedding;
-- timestamps are the transaction's now()
BEGIN;
SELECT section_row_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' AS uuidv7,
	   rfp_id, created, chunks_written, chunks_replaced
FROM leadstore.store_section_result('lead-1', 'overview',
	'{"summary": "first"}', 80, '["rfp.pdf", "call notes"]',
	ARRAY['chunk zero', 'chunk one'], '{{1,2,3},{4,5,6}}');
SELECT id AS overview_id FROM lead_section_data
WHERE lead_id = 'lead-1' AND section_id = 'overview' \gset
SELECT section_id, content, confidence, sources, created_at = now() AS created_now,
	   updated_at = now() AS updated_now
FROM lead_section_data WHERE lead_id = 'lead-1';
SELECT count(*) AS chunks_created_now FROM rfp_embeddings WHERE created_at = now();
COMMIT;
SELECT * FROM chunks;

-- rfp_id comes from the lead (lead-2 belongs to rfp-2)
SELECT rfp_id, created FROM leadstore.store_section_result('lead-2', 'overview',
	'{}', chunks => ARRAY['x'], embeddings => '{1}');
SELECT DISTINCT rfp_id FROM rfp_embeddings WHERE lead_id = 'lead-2';

-- a re-run replaces: same row, created = false, the old chunks are gone
SELECT section_row_id = :'overview_id' AS same_row, created, chunks_written,
	   chunks_replaced
FROM leadstore.store_section_result('lead-1', 'overview',
	'{"summary": "second"}', 90, '["rfp.pdf"]',
	ARRAY['only chunk'], '{7,8,9}');
SELECT section_id, content, confidence, sources FROM lead_section_data
WHERE lead_id = 'lead-1';
SELECT * FROM chunks WHERE lead_id = 'lead-1';
-- no duplicate sections, no duplicate chunks after several re-runs
SELECT count(*) AS runs FROM (
	SELECT leadstore.store_section_result('lead-1', 'overview', '{"n": 3}',
		chunks => ARRAY['a', 'b'], embeddings => '{{1},{2}}')
	FROM generate_series(1, 3)) s;
SELECT count(*) AS sections FROM lead_section_data
WHERE lead_id = 'lead-1' AND section_id = 'overview';
SELECT count(*) AS chunks FROM rfp_embeddings
WHERE lead_id = 'lead-1' AND section_id = 'overview';

-- the chunk ids are UUIDv7 too, in creation order
SELECT bool_and(id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$') AS uuidv7,
	   array_agg(chunk_index ORDER BY id) AS index_in_id_order
FROM rfp_embeddings WHERE lead_id = 'lead-1' AND section_id = 'overview';

-- no chunks (NULL): the section is stored and its old chunks removed
SELECT created, chunks_written, chunks_replaced
FROM leadstore.store_section_result('lead-1', 'overview', '{"summary": "none"}');
SELECT count(*) AS chunks FROM rfp_embeddings
WHERE lead_id = 'lead-1' AND section_id = 'overview';
-- no chunks (empty array, empty embeddings in both forms)
SELECT created, chunks_written, chunks_replaced
FROM leadstore.store_section_result('lead-1', 'empty', '[]', chunks => '{}');
SELECT chunks_written FROM leadstore.store_section_result('lead-1', 'empty', '[]',
	chunks => '{}', embeddings => '{}');
SELECT chunks_written FROM leadstore.store_section_result('lead-1', 'empty', '[]',
	embeddings_packed => '\x');
SELECT section_id, content FROM lead_section_data
WHERE lead_id = 'lead-1' AND section_id = 'empty';

-- 1-D embedding for one chunk; confidence and sources NULL in metadata
SELECT created, chunks_written FROM leadstore.store_section_result(
	lead_id => 'lead-1', section_id => 'one', content => '{"k": "v"}',
	chunks => ARRAY['single'], embeddings => '{0.5,-0.25,1e-3}');
SELECT * FROM chunks WHERE section_id = 'one';

-- chunk_type and agent_name given; NULL chunk_type means the default
SELECT chunks_written FROM leadstore.store_section_result('lead-1', 'custom',
	'{}', chunks => ARRAY['c0', 'c1', 'c2'],
	embeddings => '{{1,1},{2,2},{3,3}}', chunk_type => 'summary',
	agent_name => 'my-agent');
SELECT section_id, chunk_index, agent_name, chunk_type FROM chunks
WHERE section_id = 'custom';
SELECT chunks_written FROM leadstore.store_section_result('lead-1', 'custom',
	'{}', chunks => ARRAY['c0'], embeddings => '{1}', chunk_type => NULL);
SELECT section_id, chunk_index, agent_name, chunk_type FROM chunks
WHERE section_id = 'custom';

-- packed float32: little-endian, row-major; 2 chunks x 2 floats
-- 1.0 = 0000803f, 2.0 = 00000040, -1.5 = 0000c0bf, 0.25 = 0000803e
SELECT chunks_written FROM leadstore.store_section_result('lead-1', 'packed',
	'{}', chunks => ARRAY['p0', 'p1'],
	embeddings_packed => '\x0000803f000000400000c0bf0000803e');
SELECT chunk_index, embedding FROM chunks WHERE section_id = 'packed';

-- a 3072-float embedding, stored bit-exactly through either form: the
-- floats include -0, subnormals, the largest and smallest normal floats
-- and values whose decimal text is long
CREATE TEMP TABLE wide AS
SELECT array_agg(CASE i
		WHEN 1 THEN '-0'::real
		WHEN 2 THEN '1.4e-45'::real
		WHEN 3 THEN '3.4028235e38'::real
		WHEN 4 THEN '1.1754944e-38'::real
		WHEN 5 THEN '-1.1754942e-38'::real
		ELSE (sin(i) * 10 ^ (i % 7 - 3))::real END ORDER BY i) AS v
FROM generate_series(1, 3072) i;
-- the same floats as little-endian bytes
CREATE TEMP TABLE wide_packed AS
SELECT string_agg(substr(b, 4, 1) || substr(b, 3, 1) || substr(b, 2, 1) ||
				  substr(b, 1, 1), ''::bytea ORDER BY ord) AS p
FROM wide, unnest(v) WITH ORDINALITY AS u(f, ord), float4send(f) AS b;
SELECT length(p) AS packed_bytes FROM wide_packed;
SELECT chunks_written FROM leadstore.store_section_result('lead-5', 'as-array',
	'{}', chunks => ARRAY['w'], embeddings => (SELECT v FROM wide));
SELECT chunks_written FROM leadstore.store_section_result('lead-5', 'as-packed',
	'{}', chunks => ARRAY['w'], embeddings_packed => (SELECT p FROM wide_packed));
-- through the text form, as a psql user types it
SELECT chunks_written FROM leadstore.store_section_result('lead-5', 'as-text',
	'{}', chunks => ARRAY['w'], embeddings => (SELECT v::text FROM wide)::real[]);
-- compare bits, not values (-0 = 0 as floats)
SELECT e.section_id, array_length(e.embedding, 1) AS dim,
	   (SELECT array_agg(float4send(x)) FROM unnest(e.embedding) x) =
	   (SELECT array_agg(float4send(x)) FROM wide, unnest(wide.v) x) AS bit_exact
FROM rfp_embeddings e WHERE e.lead_id = 'lead-5' ORDER BY 1;
SELECT count(DISTINCT (content, embedding::text, metadata - 'sectionId')) AS distinct_rows
FROM rfp_embeddings WHERE lead_id = 'lead-5';

-- 2-D packed: 13 chunks x 3072, each row its own values
SELECT chunks_written FROM leadstore.store_section_result('lead-5', 'wide-13',
	'{}', chunks => array_fill('w'::text, ARRAY[13]),
	embeddings_packed => (SELECT string_agg(p, ''::bytea) FROM wide_packed, generate_series(1, 13)));
SELECT count(*) AS rows, min(array_length(embedding, 1)) AS dim,
	   bool_and(embedding = (SELECT v FROM wide)) AS equal
FROM rfp_embeddings WHERE lead_id = 'lead-5' AND section_id = 'wide-13';

-- 37 chunks go in batches of 16, 16, 4 and 1 rows: every row keeps its
-- own index, text and embedding, and the ids follow chunk_index
SELECT chunks_written FROM leadstore.store_section_result('lead-5', 'batches',
	'{}', chunks => (SELECT array_agg('c' || i ORDER BY i) FROM generate_series(0, 36) i),
	embeddings => (SELECT array_agg(ARRAY[i, -i]::real[] ORDER BY i)
				   FROM generate_series(0, 36) i));
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE content = 'c' || chunk_index
					   AND embedding = ARRAY[chunk_index, -chunk_index]::real[]) AS matching,
	   array_agg(chunk_index ORDER BY id) = array_agg(chunk_index ORDER BY chunk_index) AS ids_in_order
FROM rfp_embeddings WHERE lead_id = 'lead-5' AND section_id = 'batches';

-- the embedding column is stored out of line, uncompressed
SELECT attstorage FROM pg_attribute
WHERE attrelid = 'rfp_embeddings'::regclass AND attname = 'embedding';

-- inside a transaction that rolls back, nothing stays
SELECT snapshot();
BEGIN;
SELECT created FROM leadstore.store_section_result('lead-1', 'rolled-back',
	'{}', chunks => ARRAY['r'], embeddings => '{1}');
ROLLBACK;
SELECT unchanged();

-- ROLLBACK TO SAVEPOINT removes the call, keeps the earlier work
BEGIN;
UPDATE leads SET customer_name = 'ACME Corp' WHERE id = 'lead-1';
SAVEPOINT s;
SELECT created FROM leadstore.store_section_result('lead-1', 'savepoint',
	'{}', chunks => ARRAY['s'], embeddings => '{1}');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT customer_name FROM leads WHERE id = 'lead-1';
SELECT count(*) AS savepoint_rows FROM rfp_embeddings WHERE section_id = 'savepoint';
SELECT count(*) AS savepoint_sections FROM lead_section_data WHERE section_id = 'savepoint';
