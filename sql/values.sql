--
-- values: confidence and sources as applications send them.  confidence is
-- numeric, rounded half away from zero to an integer, which must then be
-- 0..100; the chunk metadata gets the rounded integer.  sources is any JSON
-- array or object; a JSON scalar is 22023.
--
\set SHOW_CONTEXT never
\set VERBOSITY default

--
-- confidence: each value, the stored integer and the metadata's copy
--
CREATE TEMP TABLE confidences (ord int, given numeric);
INSERT INTO confidences VALUES
	(1, 8.571428571428571), (2, 0.5), (3, 1.5), (4, 2.5), (5, 0.49999),
	(6, 99.5), (7, 100.4), (8, 100), (9, 0), (10, -0.4), (11, -0.0),
	(12, 50), (13, 99.49), (14, 1e-20), (15, 100.4999999999999999999);
SELECT count(*) AS stored FROM confidences c,
	LATERAL leadstore.store_section_result('lead-1', 'v-conf-' || c.ord,
		'{}', c.given, chunks => ARRAY['x'], embeddings => '{1}') r;
SELECT c.given, s.confidence AS stored, e.metadata -> 'confidence' AS in_metadata
FROM confidences c
JOIN lead_section_data s ON s.lead_id = 'lead-1' AND s.section_id = 'v-conf-' || c.ord
JOIN rfp_embeddings e ON e.lead_id = 'lead-1' AND e.section_id = s.section_id
ORDER BY c.ord;
-- (a JSON number, not a string)
SELECT DISTINCT jsonb_typeof(metadata -> 'confidence') FROM rfp_embeddings
WHERE section_id LIKE 'v-conf-%';
-- integers, as 0.1.0 callers pass them, and NULL
SELECT created FROM leadstore.store_section_result('lead-1', 'v-conf-int', '{}', 80);
SELECT created FROM leadstore.store_section_result('lead-1', 'v-conf-int', '{}', 80::smallint);
-- (text, as a client sends an untyped parameter)
SELECT created FROM leadstore.store_section_result('lead-1', 'v-conf-int', '{}', '80.6');
SELECT confidence FROM lead_section_data WHERE section_id = 'v-conf-int';
SELECT created FROM leadstore.store_section_result('lead-1', 'v-conf-null', '{}', NULL,
	chunks => ARRAY['x'], embeddings => '{1}');
SELECT s.confidence, e.metadata -> 'confidence' AS in_metadata
FROM lead_section_data s JOIN rfp_embeddings e USING (lead_id, section_id)
WHERE s.section_id = 'v-conf-null';

-- out of range after rounding, NaN and infinities: 22023, nothing written
SELECT snapshot();
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}', 100.5);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}', -0.5);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}', 101);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}', 'NaN');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}', 'Infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}', '-Infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}', 1e100);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}', -1e100);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}', 2147483648);
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

--
-- sources: any JSON array or object, stored and put into the metadata as
-- given
--
CREATE TEMP TABLE sources_given (ord int, given jsonb);
INSERT INTO sources_given VALUES
	(1, '["rfp.pdf", "call notes"]'),
	(2, '[]'),
	(3, '["a", 1, null, true, {"page": 3}, ["nested"]]'),
	(4, '{"agentName": "overview-synth", "generatedAt": "2024-05-01T10:00:00.000Z", "chunks": ["c0", "c1"]}'),
	(5, '{}'),
	(6, '[null]');
SELECT count(*) AS stored FROM sources_given g,
	LATERAL leadstore.store_section_result('lead-1', 'v-src-' || g.ord,
		'{}', sources => g.given, chunks => ARRAY['x'], embeddings => '{1}') r;
SELECT g.ord, g.given = s.sources AS stored, g.given = e.metadata -> 'sources' AS in_metadata,
	   jsonb_typeof(s.sources) AS kind
FROM sources_given g
JOIN lead_section_data s ON s.lead_id = 'lead-1' AND s.section_id = 'v-src-' || g.ord
JOIN rfp_embeddings e ON e.lead_id = 'lead-1' AND e.section_id = s.section_id
ORDER BY g.ord;
-- SQL NULL: no sources (the metadata's sources is JSON null)
SELECT created FROM leadstore.store_section_result('lead-1', 'v-src-null', '{}',
	sources => NULL, chunks => ARRAY['x'], embeddings => '{1}');
SELECT s.sources IS NULL AS sql_null, e.metadata -> 'sources' AS in_metadata
FROM lead_section_data s JOIN rfp_embeddings e USING (lead_id, section_id)
WHERE s.section_id = 'v-src-null';

-- a JSON scalar is 22023: string, number, boolean, JSON null
SELECT snapshot();
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}',
	sources => '"rfp.pdf"');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}',
	sources => '42');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}',
	sources => 'true');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'v-bad', '{}',
	sources => 'null');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- content: any JSON, scalars included
SELECT created FROM leadstore.store_section_result('lead-1', 'v-content', '"text only"');
SELECT created FROM leadstore.store_section_result('lead-1', 'v-content', 'null');
SELECT content, jsonb_typeof(content) FROM lead_section_data WHERE section_id = 'v-content';

DELETE FROM rfp_embeddings WHERE section_id LIKE 'v-%';
DELETE FROM lead_section_data WHERE section_id LIKE 'v-%';
