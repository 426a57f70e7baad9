--
-- section_store.sql
--		store_section_result over state: the section row and the
--		chunk rows it writes (ids, timestamps, rfp_id from the lead,
--		chunk_index, metadata, defaults of chunk_type and agent_name), what a
--		re-run replaces and what it leaves alone, the row lock it takes on
--		the lead, a data schema other than public, the packed and real[]
--		embedding forms storing bit-identical rows, and the values
--		applications send (fractional confidence, object sources).
--
BEGIN;
SELECT plan(57);

CREATE EXTENSION pgrowlocks;	-- rolled back with the rest

INSERT INTO public.business_units (id, name) VALUES ('ss-bu', 'Section BU');
INSERT INTO public.rfps (id, title)
VALUES ('ss-rfp-1', 'Section RFP 1'), ('ss-rfp-2', 'Section RFP 2');
INSERT INTO public.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('ss-lead-1', 'ss-rfp-1', 'ss-bu', 'Customer 1'),
	   ('ss-lead-2', 'ss-rfp-2', 'ss-bu', 'Customer 2'),
	   ('ss-lead-lock', 'ss-rfp-1', 'ss-bu', 'Customer lock');

-- A UUIDv7 in text form, and the Unix millisecond time it carries
CREATE FUNCTION pg_temp.is_uuidv7(id text) RETURNS boolean LANGUAGE sql AS $$
	SELECT id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
$$;
CREATE FUNCTION pg_temp.uuidv7_time(id text) RETURNS timestamptz LANGUAGE sql AS $$
	SELECT to_timestamp(('x' || substr(replace(id, '-', ''), 1, 12))::bit(48)::bigint / 1000.0)
$$;
-- n x d real[] (row-major) as packed little-endian float32
CREATE FUNCTION pg_temp.pack(a real[]) RETURNS bytea LANGUAGE sql AS $$
	SELECT decode(string_agg(substr(h, 7, 2) || substr(h, 5, 2) || substr(h, 3, 2) || substr(h, 1, 2),
	                         '' ORDER BY o), 'hex')
	FROM unnest(a) WITH ORDINALITY AS u(x, o),
	     LATERAL encode(float4send(u.x), 'hex') AS h
$$;
-- Every row of the two tables the function writes, with its version
CREATE TEMP VIEW rows_now AS
	SELECT 'lead_section_data' AS tbl, ctid::text AS row_ctid, xmin::text AS row_xmin, t::text AS row_text
	FROM public.lead_section_data t
	UNION ALL SELECT 'rfp_embeddings', ctid::text, xmin::text, t::text FROM public.rfp_embeddings t;

--
-- 1. First store of a section
--
CREATE TEMP TABLE first_store AS
	SELECT * FROM leadstore.store_section_result(
		lead_id => 'ss-lead-1', section_id => 'scope',
		content => '{"summary": "first", "items": [1, 2]}', confidence => 80,
		sources => '["doc-1", "doc-2"]',
		chunks => '{chunk zero,chunk one,chunk two}',
		embeddings => '{{0.5,1,-2},{3,4.25,5},{-6,7,8.125}}');

SELECT results_eq('SELECT rfp_id, created, chunks_written, chunks_replaced FROM first_store',
	$$VALUES ('ss-rfp-1', true, 3, 0)$$,
	'first store: rfp_id of the lead, created, 3 chunks written, none replaced');
SELECT ok((SELECT pg_temp.is_uuidv7(section_row_id) FROM first_store),
	'section_row_id is UUIDv7 text');
SELECT results_eq(
	$$SELECT id, lead_id, section_id, content, confidence, sources, created_at, updated_at
	  FROM public.lead_section_data WHERE lead_id = 'ss-lead-1'$$,
	$$SELECT section_row_id, 'ss-lead-1', 'scope', '{"summary": "first", "items": [1, 2]}'::jsonb,
	         80, '["doc-1", "doc-2"]'::jsonb, now(), now() FROM first_store$$,
	'the lead_section_data row: the returned id, content, confidence, sources, created_at = updated_at = now()');
SELECT results_eq(
	$$SELECT rfp_id, lead_id, section_id, agent_name, chunk_type, chunk_index, content,
	         embedding, created_at
	  FROM public.rfp_embeddings WHERE lead_id = 'ss-lead-1' ORDER BY chunk_index$$,
	$$VALUES
	  ('ss-rfp-1', 'ss-lead-1', 'scope', 'deep-scan-scope', 'analysis', 0, 'chunk zero', '{0.5,1,-2}'::real[], now()),
	  ('ss-rfp-1', 'ss-lead-1', 'scope', 'deep-scan-scope', 'analysis', 1, 'chunk one', '{3,4.25,5}'::real[], now()),
	  ('ss-rfp-1', 'ss-lead-1', 'scope', 'deep-scan-scope', 'analysis', 2, 'chunk two', '{-6,7,8.125}'::real[], now())$$,
	'the chunk rows: rfp_id from the lead, agent_name deep-scan-<section>, chunk_type analysis, chunk_index 0..2, one embedding row each, created_at = now()');
SELECT is_empty(
	$$SELECT 1 FROM public.rfp_embeddings WHERE lead_id = 'ss-lead-1'
	  AND metadata IS DISTINCT FROM
	      '{"sectionId": "scope", "leadId": "ss-lead-1", "confidence": 80, "sources": ["doc-1", "doc-2"]}'::jsonb$$,
	'every chunk''s metadata is {"sectionId", "leadId", "confidence", "sources"} of the call');
SELECT is_empty(
	$$SELECT 1 FROM public.rfp_embeddings WHERE lead_id = 'ss-lead-1'
	  AND (array_ndims(embedding) <> 1 OR array_lower(embedding, 1) <> 1
	       OR array_length(embedding, 1) <> 3)$$,
	'each embedding is stored as its own 1-D real[] [1:3]');
SELECT is_empty(
	$$SELECT 1 FROM public.rfp_embeddings WHERE lead_id = 'ss-lead-1' AND NOT pg_temp.is_uuidv7(id)$$,
	'every chunk id is UUIDv7 text');
SELECT ok(
	(SELECT bool_and(pg_temp.uuidv7_time(id) BETWEEN date_trunc('milliseconds', now()) AND clock_timestamp())
	 FROM (SELECT id FROM public.rfp_embeddings WHERE lead_id = 'ss-lead-1'
	       UNION ALL SELECT section_row_id FROM first_store) ids),
	'the UUIDv7 ids carry the time of the call');
SELECT results_eq(
	$$SELECT array_agg(id ORDER BY chunk_index) FROM public.rfp_embeddings WHERE lead_id = 'ss-lead-1'$$,
	$$SELECT array_agg(id ORDER BY id COLLATE "C") FROM public.rfp_embeddings WHERE lead_id = 'ss-lead-1'$$,
	'chunk ids are time-ordered: they sort like chunk_index');
SELECT ok(
	(SELECT f.section_row_id COLLATE "C" < min(e.id COLLATE "C")
	 FROM first_store f, public.rfp_embeddings e WHERE e.lead_id = 'ss-lead-1'
	 GROUP BY f.section_row_id),
	'the section row id, generated first, sorts before its chunk ids');
SELECT results_eq(
	$$SELECT r.modes FROM pgrowlocks('public.leads') r
	  JOIN public.leads l ON l.ctid = r.locked_row WHERE l.id = 'ss-lead-1'$$,
	$$VALUES ('{"For Key Share"}'::text[])$$,
	'store_section_result holds no lock on the lead beyond the foreign keys'' FOR KEY SHARE');

CREATE TEMP TABLE first_chunk_ids AS
	SELECT id FROM public.rfp_embeddings WHERE lead_id = 'ss-lead-1' AND section_id = 'scope';

--
-- 2. Neighbours a re-run must leave alone
--
SELECT results_eq(
	$$SELECT created, chunks_written FROM leadstore.store_section_result('ss-lead-1', 'team',
	      '{"t": 1}', 10, NULL, '{team chunk 0,team chunk 1}', '{{1,1,1},{2,2,2}}')$$,
	$$VALUES (true, 2)$$, 'setup: another section of the same lead');
SELECT results_eq(
	$$SELECT rfp_id, created, chunks_written FROM leadstore.store_section_result('ss-lead-2', 'scope',
	      '{"other lead": true}', 20, NULL, '{other lead chunk}', '{9,9,9}')$$,
	$$VALUES ('ss-rfp-2', true, 1)$$, 'setup: the same section of another lead (rfp_id of that lead)');
INSERT INTO public.rfp_embeddings (id, rfp_id, lead_id, section_id, agent_name, chunk_type,
	chunk_index, content, metadata, embedding, created_at)
VALUES ('rfp-level-chunk', 'ss-rfp-1', NULL, 'scope', 'rfp-ingest', 'document', 0,
	'an RFP document chunk without lead', NULL, '{4,4,4}', '2024-01-01');
CREATE TEMP TABLE neighbours_before AS
	SELECT r.* FROM rows_now r
	WHERE r.row_text NOT LIKE '%,ss-lead-1,scope,%' OR r.row_text LIKE '(rfp-level-chunk,%';
UPDATE public.lead_section_data SET created_at = '2024-01-01', updated_at = '2024-01-02'
WHERE lead_id = 'ss-lead-1' AND section_id = 'scope';

--
-- 3. Re-run: content, confidence and sources replaced, chunks replaced
--
CREATE TEMP TABLE rerun AS
	SELECT * FROM leadstore.store_section_result(
		lead_id => 'ss-lead-1', section_id => 'scope', content => '{"summary": "second"}',
		chunks => '{new chunk 0,new chunk 1}', embeddings => '{{10,11,12},{13,14,15}}',
		chunk_type => 'summary', agent_name => 'custom-agent');

SELECT results_eq('SELECT section_row_id, rfp_id, created, chunks_written, chunks_replaced FROM rerun',
	'SELECT section_row_id, ''ss-rfp-1'', false, 2, 3 FROM first_store',
	're-run: the same section row id, created = false, 2 chunks written, 3 replaced');
SELECT results_eq(
	$$SELECT id, content, confidence, sources, created_at, updated_at
	  FROM public.lead_section_data WHERE lead_id = 'ss-lead-1' AND section_id = 'scope'$$,
	$$SELECT section_row_id, '{"summary": "second"}'::jsonb, NULL::int, NULL::jsonb,
	         '2024-01-01'::timestamptz, now() FROM first_store$$,
	're-run: content replaced, confidence and sources replaced by NULL, created_at kept, updated_at = now()');
SELECT results_eq(
	$$SELECT agent_name, chunk_type, chunk_index, content, embedding, metadata
	  FROM public.rfp_embeddings WHERE lead_id = 'ss-lead-1' AND section_id = 'scope'
	  ORDER BY chunk_index$$,
	$$VALUES
	  ('custom-agent', 'summary', 0, 'new chunk 0', '{10,11,12}'::real[],
	   '{"sectionId": "scope", "leadId": "ss-lead-1", "confidence": null, "sources": null}'::jsonb),
	  ('custom-agent', 'summary', 1, 'new chunk 1', '{13,14,15}'::real[],
	   '{"sectionId": "scope", "leadId": "ss-lead-1", "confidence": null, "sources": null}'::jsonb)$$,
	're-run: exactly the new chunks, with the given chunk_type and agent_name, metadata with null confidence and sources');
SELECT is_empty(
	$$SELECT 1 FROM public.rfp_embeddings WHERE id IN (SELECT id FROM first_chunk_ids)$$,
	're-run: none of the first store''s chunk rows is left');
SELECT set_eq(
	$$SELECT * FROM rows_now r
	  WHERE r.row_text NOT LIKE '%,ss-lead-1,scope,%' OR r.row_text LIKE '(rfp-level-chunk,%'$$,
	'SELECT * FROM neighbours_before',
	're-run: the lead''s other section, the other lead''s same section and the RFP-level chunk with the same section_id are untouched');

--
-- 4. No chunks: NULL and '{}' store the section and remove its chunks
--
SELECT results_eq(
	$$SELECT created, chunks_written, chunks_replaced
	  FROM leadstore.store_section_result('ss-lead-1', 'scope', '{"summary": "third"}', 30)$$,
	$$VALUES (false, 0, 2)$$,
	'chunks NULL: the section is stored and its 2 chunks are removed');
SELECT is_empty($$SELECT 1 FROM public.rfp_embeddings WHERE lead_id = 'ss-lead-1' AND section_id = 'scope'$$,
	'chunks NULL: no chunk of the section is left');
SELECT results_eq(
	$$SELECT content, confidence FROM public.lead_section_data WHERE lead_id = 'ss-lead-1' AND section_id = 'scope'$$,
	$$VALUES ('{"summary": "third"}'::jsonb, 30)$$,
	'chunks NULL: the section row is updated');
SELECT results_eq(
	$$SELECT created, chunks_written, chunks_replaced
	  FROM leadstore.store_section_result('ss-lead-1', 'team', '{"t": 2}', chunks => '{}', embeddings => '{}')$$,
	$$VALUES (false, 0, 2)$$,
	'chunks ''{}'' with embeddings ''{}'': the section is stored and its 2 chunks removed');
SELECT results_eq(
	$$SELECT created, chunks_written, chunks_replaced
	  FROM leadstore.store_section_result('ss-lead-1', 'team', '{"t": 3}', chunks => '{}', embeddings_packed => '\x')$$,
	$$VALUES (false, 0, 0)$$,
	'chunks ''{}'' with an empty embeddings_packed is accepted');

--
-- 5. Defaults and edge values
--
SELECT results_eq(
	$$SELECT chunks_written FROM leadstore.store_section_result(
	      lead_id => 'ss-lead-2', section_id => 'risks', content => '[1, "two"]',
	      confidence => 0, sources => '[]', chunks => '{only chunk}', embeddings => '{0.25,0.5}',
	      chunk_type => NULL, agent_name => NULL)$$,
	$$VALUES (1)$$,
	'one chunk with a 1-D embedding; confidence 0; sources []; chunk_type and agent_name passed as NULL');
SELECT results_eq(
	$$SELECT agent_name, chunk_type, chunk_index, embedding, metadata FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-2' AND section_id = 'risks'$$,
	$$VALUES ('deep-scan-risks', 'analysis', 0, '{0.25,0.5}'::real[],
	          '{"sectionId": "risks", "leadId": "ss-lead-2", "confidence": 0, "sources": []}'::jsonb)$$,
	'chunk_type NULL means analysis, agent_name NULL means deep-scan-<section_id>');
SELECT results_eq(
	$$SELECT content, confidence, sources FROM public.lead_section_data
	  WHERE lead_id = 'ss-lead-2' AND section_id = 'risks'$$,
	$$VALUES ('[1, "two"]'::jsonb, 0, '[]'::jsonb)$$,
	'any JSON content is stored; confidence 0 and sources [] are kept as given');
SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('ss-lead-2', 'risks', '{}', 100)$$,
	$$VALUES (false)$$,
	'confidence 100 is accepted');
SELECT results_eq(
	$$SELECT confidence FROM public.lead_section_data WHERE lead_id = 'ss-lead-2' AND section_id = 'risks'$$,
	$$VALUES (100)$$,
	'confidence 100 is stored');
SELECT results_eq(
	$$SELECT chunks_written FROM leadstore.store_section_result('ss-lead-2', 'big', '{}',
	      chunks => '{a}', embeddings => array_fill(0.5::real, ARRAY[1, 16000]))$$,
	$$VALUES (1)$$,
	'an embedding of 16000 elements (the limit) is accepted');
SELECT results_eq(
	$$SELECT array_length(embedding, 1) FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-2' AND section_id = 'big'$$,
	$$VALUES (16000)$$,
	'the 16000-element embedding is stored whole');
SELECT results_eq(
	$$SELECT created, chunks_written FROM leadstore.store_section_result('ss-lead-2', 'scope',
	      '{}', chunks => '{"", "second"}', embeddings_packed => pg_temp.pack('{{1},{2}}'))$$,
	$$VALUES (false, 2)$$,
	'an empty chunk text is stored; packed n x 1 embeddings');
SELECT results_eq(
	$$SELECT chunk_index, content, embedding FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-2' AND section_id = 'scope' ORDER BY chunk_index$$,
	$$VALUES (0, '', '{1}'::real[]), (1, 'second', '{2}'::real[])$$,
	'the packed 1-element rows are stored as {1} and {2}');

--
-- 6. Packed and real[] forms store bit-identical rows (3072 floats)
--
CREATE TEMP TABLE vectors AS
	SELECT ARRAY(
		SELECT CASE i
			WHEN 1 THEN '-0'::real
			WHEN 2 THEN '1.4e-45'::real			-- smallest subnormal
			WHEN 3 THEN '1e-40'::real			-- a subnormal
			WHEN 4 THEN '1.17549435e-38'::real	-- smallest normal
			WHEN 5 THEN '3.4028235e38'::real	-- largest
			WHEN 6 THEN '-3.4028235e38'::real
			WHEN 7 THEN '0'::real
			ELSE (sin(i) * 10 ^ ((i % 21) - 10))::real
		END
		FROM generate_series(1, 3072) i ORDER BY i) AS v1,
	ARRAY(
		SELECT (cos(i) / (i + 0.1))::real
		FROM generate_series(1, 3072) i ORDER BY i) AS v2;
SET LOCAL leadstore.embedding_dimensions = 3072;

SELECT results_eq(
	$$SELECT chunks_written FROM vectors, leadstore.store_section_result('ss-lead-1', 'vec-array',
	      '{}', chunks => '{first,second}', embeddings => ARRAY[v1, v2])$$,
	$$VALUES (2)$$, '2 x 3072 embeddings as real[] stored (leadstore.embedding_dimensions = 3072)');
SELECT results_eq(
	$$SELECT chunks_written FROM vectors, leadstore.store_section_result('ss-lead-1', 'vec-packed',
	      '{}', chunks => '{first,second}', embeddings_packed => pg_temp.pack(ARRAY[v1, v2]))$$,
	$$VALUES (2)$$, '2 x 3072 embeddings as packed bytea stored');
SELECT results_eq(
	$$SELECT length(pg_temp.pack(ARRAY[v1, v2])) FROM vectors$$,
	$$VALUES (2 * 3072 * 4)$$, 'control: the packed form is 2 x 3072 x 4 bytes');
SELECT results_eq(
	$$SELECT chunk_index, array_send(embedding) FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-1' AND section_id = 'vec-packed' ORDER BY chunk_index$$,
	$$SELECT chunk_index, array_send(embedding) FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-1' AND section_id = 'vec-array' ORDER BY chunk_index$$,
	'packed and real[] forms store bit-identical embeddings (array_send, -0 and subnormals included)');
SELECT results_eq(
	$$SELECT chunk_index, array_send(embedding) FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-1' AND section_id = 'vec-packed' ORDER BY chunk_index$$,
	$$SELECT 0, array_send(v1) FROM vectors UNION ALL SELECT 1, array_send(v2) FROM vectors$$,
	'the stored embeddings are bit for bit the input rows');
SELECT results_eq(
	$$SELECT float4send(embedding[1]), float4send(embedding[2]) FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-1' AND section_id IN ('vec-array', 'vec-packed') AND chunk_index = 0$$,
	$$VALUES ('\x80000000'::bytea, '\x00000001'::bytea), ('\x80000000'::bytea, '\x00000001'::bytea)$$,
	'-0 and the smallest subnormal keep their bits in both forms');
SELECT results_eq(
	$$SELECT chunk_index, content, metadata FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-1' AND section_id = 'vec-packed' ORDER BY chunk_index$$,
	$$SELECT chunk_index, content,
	         jsonb_set(metadata, '{sectionId}', '"vec-packed"') FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-1' AND section_id = 'vec-array' ORDER BY chunk_index$$,
	'the other columns of the two forms'' rows agree too');
SET LOCAL leadstore.embedding_dimensions = 0;

--
-- 7. Row locks on the lead of a fresh store
--
SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('ss-lead-lock', 'scope', '{}',
	      chunks => '{a}', embeddings => '{1}')$$,
	$$VALUES (true)$$, 'setup: a store for a lead nothing else touched');
SELECT results_eq(
	$$SELECT r.modes FROM pgrowlocks('public.leads') r
	  JOIN public.leads l ON l.ctid = r.locked_row WHERE l.id = 'ss-lead-lock'$$,
	$$VALUES ('{"For Key Share"}'::text[])$$,
	'the lead is held FOR KEY SHARE only (a CMS selection''s FOR NO KEY UPDATE is not blocked)');
SELECT results_eq(
	$$SELECT r.modes FROM pgrowlocks('public.rfps') r
	  JOIN public.rfps f ON f.ctid = r.locked_row WHERE f.id = 'ss-rfp-1'$$,
	$$VALUES ('{"For Key Share"}'::text[])$$,
	'the rfp is held FOR KEY SHARE only');

--
-- 8. A data schema other than public
--
CREATE SCHEMA ss_other;
SET LOCAL search_path = ss_other;
\ir ../../sql/leadstore_data_model.sql
RESET search_path;
INSERT INTO ss_other.business_units (id, name) VALUES ('ss-bu', 'Other BU');
INSERT INTO ss_other.rfps (id) VALUES ('ss-other-rfp');
INSERT INTO ss_other.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('ss-lead-1', 'ss-other-rfp', 'ss-bu', 'Other customer');
CREATE TEMP TABLE public_before AS SELECT * FROM rows_now;

SET LOCAL leadstore.data_schema = 'ss_other';
CREATE TEMP TABLE other_store AS
	SELECT * FROM leadstore.store_section_result('ss-lead-1', 'scope', '{"schema": "ss_other"}', 55,
		'["x"]', '{other 0,other 1}', '{{1,2},{3,4}}');
SELECT results_eq('SELECT rfp_id, created, chunks_written, chunks_replaced FROM other_store',
	$$VALUES ('ss-other-rfp', true, 2, 0)$$,
	'leadstore.data_schema = ss_other: rfp_id comes from ss_other.leads, the section is new there');
SET LOCAL leadstore.data_schema = 'public';

SELECT results_eq(
	$$SELECT d.id, d.content, e.rfp_id, e.chunk_index, e.content, e.embedding
	  FROM ss_other.lead_section_data d
	  JOIN ss_other.rfp_embeddings e ON e.lead_id = d.lead_id AND e.section_id = d.section_id
	  ORDER BY e.chunk_index$$,
	$$SELECT section_row_id, '{"schema": "ss_other"}'::jsonb, 'ss-other-rfp', 0, 'other 0', '{1,2}'::real[] FROM other_store
	  UNION ALL
	  SELECT section_row_id, '{"schema": "ss_other"}'::jsonb, 'ss-other-rfp', 1, 'other 1', '{3,4}'::real[] FROM other_store$$,
	'the section and its chunks are in ss_other');
SELECT set_eq('SELECT * FROM rows_now', 'SELECT * FROM public_before',
	'public.lead_section_data and public.rfp_embeddings were not written');
SELECT results_eq(
	$$SELECT rfp_id, created, chunks_replaced
	  FROM leadstore.store_section_result('ss-lead-1', 'scope', '{"back": "public"}')$$,
	$$VALUES ('ss-rfp-1', false, 0)$$,
	'back on public, the next call writes public again');
SELECT results_eq(
	$$SELECT content FROM ss_other.lead_section_data$$,
	$$VALUES ('{"schema": "ss_other"}'::jsonb)$$,
	'and leaves ss_other alone');

--
-- 9. Values as applications send them: fractional confidence, any JSON
--	array or object as sources
--	confidence is rounded half away from zero to an integer, then checked
--	against 0..100; the section row and every chunk's metadata get the
--	rounded integer.
--
CREATE TEMP TABLE rounding (given numeric, stored int);
INSERT INTO rounding VALUES
	(8.571428571428571, 9), (8.5, 9), (8.4999999, 8), (7.5, 8), (0.4, 0),
	(-0.4, 0), (-0.0001, 0), (99.5, 100), (100.4, 100), (100.0, 100),
	(42, 42), (0.5, 1), (1.5, 2), (2.5, 3);
CREATE TEMP TABLE rounded AS
	SELECT r.given, r.stored, d.confidence AS section_confidence,
	       (SELECT array_agg(DISTINCT (e.metadata ->> 'confidence'))
	        FROM public.rfp_embeddings e
	        WHERE e.lead_id = 'ss-lead-2' AND e.section_id = 'rounding-' || r.given::text) AS chunk_confidences
	FROM rounding r,
	     LATERAL leadstore.store_section_result('ss-lead-2', 'rounding-' || r.given::text, '{}',
	         confidence => r.given, chunks => '{c0,c1}', embeddings => '{{1},{2}}') w
	JOIN public.lead_section_data d ON d.id = w.section_row_id;
SELECT is_empty(
	$$SELECT given, stored, section_confidence FROM rounded
	  WHERE section_confidence IS DISTINCT FROM stored$$,
	'confidence is rounded half away from zero (8.57 -> 9, 8.5 -> 9, 7.5 -> 8, 0.5 -> 1, 2.5 -> 3, -0.4 -> 0, 99.5 and 100.4 -> 100) and stored as that integer');
SELECT is_empty(
	$$SELECT given FROM rounded WHERE chunk_confidences IS DISTINCT FROM ARRAY[stored::text]$$,
	'every chunk''s metadata carries the rounded integer confidence');
SELECT results_eq(
	$$SELECT jsonb_typeof(metadata -> 'confidence') FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-2' AND section_id = 'rounding-8.571428571428571' ORDER BY chunk_index$$,
	$$VALUES ('number'), ('number')$$,
	'the metadata confidence is a JSON number');
SELECT results_eq(
	$$SELECT metadata -> 'confidence' FROM public.rfp_embeddings
	  WHERE lead_id = 'ss-lead-2' AND section_id = 'rounding-8.571428571428571' AND chunk_index = 0$$,
	$$VALUES ('9'::jsonb)$$,
	'the metadata confidence of 8.571428571428571 is the JSON number 9, not 8.57...');
SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('ss-lead-2', 'typed', '{}',
	      confidence => 55::integer)$$,
	$$VALUES (true)$$,
	'an integer confidence argument is still accepted');
SELECT results_eq(
	$$SELECT created FROM leadstore.store_section_result('ss-lead-2', 'typed', '{}',
	      confidence => '55.5')$$,
	$$VALUES (false)$$,
	'an untyped literal confidence (what node-postgres sends for a JavaScript number) is accepted');
SELECT is((SELECT confidence FROM public.lead_section_data WHERE lead_id = 'ss-lead-2' AND section_id = 'typed'),
	56, 'the untyped ''55.5'' is stored as 56');

-- sources: an object (the application's synthesizers), arrays of any values
CREATE TEMP TABLE source_values (label text, sources jsonb);
INSERT INTO source_values VALUES
	('object', '{"agentName": "tech-synth", "generatedAt": "2025-01-01T10:00:00.000Z", "chunks": [{"id": 1}, {"id": 2}]}'),
	('empty object', '{}'),
	('empty array', '[]'),
	('mixed array', '["doc-1", 2, null, true, {"url": "https://example.com/a"}, ["nested"]]'),
	('array of objects', '[{"title": "RFP", "page": 3}]');
SELECT is_empty(
	$$SELECT v.label
	  FROM source_values v,
	       LATERAL leadstore.store_section_result('ss-lead-2', 'sources-' || v.label, '{}',
	           sources => v.sources, chunks => '{c}', embeddings => '{1}') w
	  JOIN public.lead_section_data d ON d.id = w.section_row_id
	  JOIN public.rfp_embeddings e ON e.lead_id = d.lead_id AND e.section_id = d.section_id
	  WHERE d.sources IS DISTINCT FROM v.sources
	     OR e.metadata -> 'sources' IS DISTINCT FROM v.sources$$,
	'any JSON object or array as sources is stored as given, in the section row and in the chunk metadata');
SELECT results_eq(
	$$SELECT count(*)::int FROM public.lead_section_data
	  WHERE lead_id = 'ss-lead-2' AND section_id LIKE 'sources-%'$$,
	$$VALUES (5)$$,
	'the five sections with object and array sources were stored');
SELECT results_eq(
	$$SELECT sources -> 'agentName', jsonb_array_length(sources -> 'chunks')
	  FROM public.lead_section_data WHERE lead_id = 'ss-lead-2' AND section_id = 'sources-object'$$,
	$$VALUES ('"tech-synth"'::jsonb, 2)$$,
	'the object-shaped sources keep their keys and nested arrays');

SELECT * FROM finish();
ROLLBACK;
