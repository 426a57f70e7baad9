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
	confidence => 91.67,	-- agents compute fractions: rounded to 92
	sources => '{"agentName": "tech-agent", "chunks": 1}',
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
\echo '== 7. A deep-scan run: begin hands out a run token, finish takes it back'
SELECT lead_id, status, started_at, transitioned
FROM leadstore.begin_deep_scan('lead-globex') \gset run_
\echo 'run token (started_at):' :run_started_at
SELECT lead_id, status, transitioned FROM leadstore.begin_deep_scan('lead-globex');
SELECT section_row_id IS NOT NULL AS stored
FROM leadstore.store_section_result('lead-globex', 'overview', '{"summary": "B2B shop"}');
SELECT lead_id, status, sections_stored, transitioned
FROM leadstore.finish_deep_scan('lead-globex', started_at => :'run_started_at');
-- a runner that hung and was taken over cannot finish its successor's run
SELECT * FROM leadstore.finish_deep_scan('lead-globex',
	started_at => now() - interval '2 hours', outcome => 'failed', error => 'late');
SELECT * FROM leadstore.finish_deep_scan('lead-globex');

\echo
\echo '== 8. Chunks outside sections: a sub-agent replaces its own chunks per run'
SELECT * FROM leadstore.store_chunks(rfp_id => NULL, lead_id => 'lead-springfield',
	agent_name => 'legal-check', chunks => ARRAY['No liability cap.', 'GDPR DPA required.'],
	embeddings => '{{0.2,0.1,0.0,0.4},{0.9,0.3,0.1,0.0}}',
	metadata => '{"run": 1}');
SELECT * FROM leadstore.store_chunks(rfp_id => NULL, lead_id => 'lead-springfield',
	agent_name => 'legal-check', chunks => ARRAY['Liability capped at 2x fees.'],
	embeddings => '{0.2,0.2,0.1,0.4}', metadata => '{"run": 2}');
SELECT agent_name, section_id, chunk_index, content, metadata
FROM rfp_embeddings WHERE agent_name = 'legal-check';

\echo
\echo '== 9. The application''s own tables: other names, timestamp, JSON in text'
CREATE SCHEMA app;
CREATE TABLE app.pre_qualifications (id text PRIMARY KEY);
CREATE TABLE app.qualifications (
	id text PRIMARY KEY, pre_qualification_id text NOT NULL REFERENCES app.pre_qualifications,
	business_unit_id text NOT NULL, deep_scan_status text NOT NULL DEFAULT 'pending',
	deep_scan_started_at timestamp, deep_scan_completed_at timestamp,
	selected_cms_id text, updated_at timestamp);
CREATE TABLE app.qualification_section_data (
	id text PRIMARY KEY, qualification_id text NOT NULL REFERENCES app.qualifications,
	section_id text NOT NULL, content text NOT NULL, confidence integer, sources text,
	created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE INDEX ON app.qualification_section_data (qualification_id, section_id);
CREATE TABLE app.deal_embeddings (
	id text PRIMARY KEY, pre_qualification_id text NOT NULL, qualification_id text,
	section_id text, agent_name text NOT NULL, chunk_type text NOT NULL,
	chunk_index integer NOT NULL, content text NOT NULL, metadata text,
	embedding real[] NOT NULL, created_at timestamp NOT NULL);
CREATE TABLE app.technologies (id text PRIMARY KEY, business_unit_id text NOT NULL,
	category text, is_default boolean NOT NULL DEFAULT false);
INSERT INTO app.pre_qualifications VALUES ('pq-1');
INSERT INTO app.qualifications (id, pre_qualification_id, business_unit_id)
	VALUES ('q-1', 'pq-1', 'bu-digital');
SET leadstore.data_schema = 'app';
SET leadstore.table_names = 'leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings';
SET leadstore.column_names = 'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id';
-- the section table has a plain index only: leadstore says so
SELECT * FROM leadstore.store_section_result('q-1', 'overview', '{"summary": "x"}');
SELECT logical_name, actual_name, status, fix
FROM leadstore.check_data_model() WHERE status <> 'ok';
SELECT fix FROM leadstore.check_data_model() WHERE fix IS NOT NULL \gexec
SELECT count(*) FILTER (WHERE status <> 'ok') AS problems FROM leadstore.check_data_model();
SET TimeZone = 'America/New_York';
BEGIN;
SELECT * FROM leadstore.store_section_result('q-1', 'overview', '{"summary": "x"}',
	confidence => 70, chunks => ARRAY['one chunk'], embeddings => '{1,2,3,4}');
-- timestamp columns hold UTC wall-clock time whatever the session's TimeZone
SELECT qualification_id, content, updated_at,
	   updated_at = (now() AT TIME ZONE 'UTC') AS is_utc
FROM app.qualification_section_data;
COMMIT;
RESET TimeZone;
RESET leadstore.data_schema;
RESET leadstore.table_names;
RESET leadstore.column_names;
