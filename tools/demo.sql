--
-- demo.sql: leadstore at work, run by tools/demo.sh with psql -a
--
\set SHOW_CONTEXT never
\pset null '(null)'

\echo
\echo '== 1. A section agent stores its result and two chunks with embeddings'
SELECT * FROM leadstore.store_section_result(
	lead_id => 'lead-springfield',
	section_id => 'technology',
	content => '{"summary": "Drupal 7 site, 40k pages, SSO via SAML"}',
	confidence => 85,
	sources => '["rfp.pdf", "kickoff-notes.md"]',
	chunks => ARRAY['The portal runs on Drupal 7 with 40k pages.',
					'Citizens log in through the state SAML provider.'],
	embeddings => '{{0.12,-0.03,0.44,0.08},{0.05,0.31,-0.27,0.19}}');

SELECT section_id, chunk_index, content, embedding, agent_name, metadata
FROM rfp_embeddings WHERE lead_id = 'lead-springfield' ORDER BY chunk_index;

\echo
\echo '== 2. The agent runs again: the section is replaced, not duplicated'
SELECT * FROM leadstore.store_section_result(
	lead_id => 'lead-springfield',
	section_id => 'technology',
	content => '{"summary": "Drupal 7 site, 42k pages, SSO via SAML and OIDC"}',
	confidence => 92,
	chunks => ARRAY['The portal runs on Drupal 7 with 42k pages.'],
	embeddings => '{0.11,-0.02,0.45,0.07}');
SELECT section_id, content, confidence,
	   (SELECT count(*) FROM rfp_embeddings e
		WHERE e.lead_id = s.lead_id AND e.section_id = s.section_id) AS chunks
FROM lead_section_data s WHERE lead_id = 'lead-springfield';

\echo
\echo '== 3. The fast path: 3072-float embeddings as packed little-endian float32'
SELECT * FROM leadstore.store_section_result(
	lead_id => 'lead-springfield',
	section_id => 'requirements',
	content => '{"summary": "WCAG 2.1 AA, 12 languages"}',
	chunks => ARRAY['Accessibility: WCAG 2.1 AA is mandatory.'],
	embeddings_packed => (
		SELECT string_agg(substr(b, 4, 1) || substr(b, 3, 1) ||
						  substr(b, 2, 1) || substr(b, 1, 1), ''::bytea ORDER BY i)
		FROM generate_series(1, 3072) i, float4send(sin(i)::real) b));
SELECT section_id, array_length(embedding, 1) AS dimensions, embedding[1:3] AS first_three
FROM rfp_embeddings WHERE section_id = 'requirements';

\echo
\echo '== 4. A failing call leaves nothing behind (the chunk count does not match)'
SELECT count(*) AS sections_before FROM lead_section_data;
SELECT count(*) AS chunks_before FROM rfp_embeddings;
SELECT * FROM leadstore.store_section_result(
	lead_id => 'lead-springfield',
	section_id => 'budget',
	content => '{"summary": "EUR 400k"}',
	chunks => ARRAY['Budget: EUR 400k over two years.', 'Second chunk'],
	embeddings => '{0.3,0.1,0.2,0.9}');
SELECT count(*) AS sections_after FROM lead_section_data;
SELECT count(*) AS chunks_after FROM rfp_embeddings;

\echo
\echo '== 5. ... and so does a failure in the middle of a caller''s transaction'
BEGIN;
SELECT created FROM leadstore.store_section_result('lead-springfield', 'budget',
	'{"summary": "EUR 400k"}', chunks => ARRAY['Budget: EUR 400k.'],
	embeddings => '{0.3,0.1,0.2,0.9}');
SELECT * FROM leadstore.store_section_result('lead-springfield', 'risks',
	'{}', confidence => 150);
ROLLBACK;
SELECT count(*) AS budget_sections FROM lead_section_data WHERE section_id = 'budget';

\echo
\echo '== 6. Selecting a CMS: checked against the lead''s business unit, row-locked'
SELECT * FROM leadstore.select_cms('lead-springfield', 'tech-aem');
SELECT * FROM leadstore.select_cms('lead-springfield', 'tech-shopware');
SELECT * FROM leadstore.select_cms('lead-springfield', 'tech-nextjs');
SELECT * FROM leadstore.select_cms_if('lead-springfield', NULL, 'tech-drupal');
SELECT * FROM leadstore.select_cms_if('lead-springfield', 'tech-aem', 'tech-drupal');
SELECT * FROM leadstore.select_default_cms('lead-globex');

\echo
\echo '== 7. A deep-scan run'
SELECT lead_id, status, transitioned FROM leadstore.begin_deep_scan('lead-globex');
SELECT lead_id, status, transitioned FROM leadstore.begin_deep_scan('lead-globex');
SELECT section_row_id IS NOT NULL AS stored
FROM leadstore.store_section_result('lead-globex', 'overview', '{"summary": "B2B shop"}');
SELECT lead_id, status, sections_stored, transitioned
FROM leadstore.finish_deep_scan('lead-globex');
SELECT * FROM leadstore.finish_deep_scan('lead-globex');
