--
-- bench/sql/preseed_chunks.sql
--		The chunks of sub-agents (no section) that exist before the chunks
--		workload of bench/run starts, applied after preseed.sql: for the same
--		(lead, section) pairs that preseed.sql stores, one chunk of the
--		sub-agent key (the lead's rfp, the lead, 'sub-agent-' || section id).
--		So store_chunks calls (scripts/chunks*_Dp.sql) find an existing key
--		as often as store_section_result calls find an existing section.
--

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

INSERT INTO rfp_embeddings (id, rfp_id, lead_id, section_id, agent_name, chunk_type,
							chunk_index, content, metadata, embedding, created_at)
SELECT gen_random_uuid()::text, l.rfp_id, l.id, NULL,
	   'sub-agent-' || s.section_id, 'analysis', 0, p.chunk,
	   jsonb_build_object('leadId', l.id, 'confidence', 50, 'sources', p.sources::jsonb),
	   p.emb, now()
FROM leads l
CROSS JOIN bench_sections s
CROSS JOIN (SELECT chunk, sources, emb1::real[] AS emb FROM bench_payload WHERE k = 1 OFFSET 0) p
WHERE (l.id::int + s.idx) % 2 = 0;

VACUUM ANALYZE rfp_embeddings;
