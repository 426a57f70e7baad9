--
-- bench/sql/preseed.sql
--		The sections and chunks that exist before a workload starts: every
--		other (lead, section) pair has a stored section with one chunk, so
--		that random upserts hit both new and existing rows, and the tables
--		have realistic size and statistics when plans are made (on empty
--		tables, a cached generic plan may choose a sequential scan and keep
--		it while the table grows).  bench/run applies it after the seed and
--		again before each workload (after TRUNCATE).
--

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

INSERT INTO lead_section_data (id, lead_id, section_id, content, confidence, sources,
							   created_at, updated_at)
SELECT gen_random_uuid()::text, l.id, s.section_id, p.content::jsonb, 50, p.sources::jsonb,
	   now(), now()
FROM leads l
CROSS JOIN bench_sections s
JOIN bench_payload p ON p.k = 1
WHERE (l.id::int + s.idx) % 2 = 0;

INSERT INTO rfp_embeddings (id, rfp_id, lead_id, section_id, agent_name, chunk_type,
							chunk_index, content, metadata, embedding, created_at)
SELECT gen_random_uuid()::text, l.rfp_id, d.lead_id, d.section_id,
	   'deep-scan-' || d.section_id, 'analysis', 0, p.chunk,
	   jsonb_build_object('sectionId', d.section_id, 'leadId', d.lead_id,
						  'confidence', d.confidence, 'sources', d.sources),
	   p.emb, now()
FROM lead_section_data d
JOIN leads l ON l.id = d.lead_id
CROSS JOIN (SELECT chunk, emb1::real[] AS emb FROM bench_payload WHERE k = 1 OFFSET 0) p;

VACUUM ANALYZE lead_section_data, rfp_embeddings, leads;
