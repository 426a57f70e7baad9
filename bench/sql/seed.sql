--
-- bench/sql/seed.sql
--		Seed data for the benchmark, applied after CREATE EXTENSION leadstore
--		and sql/leadstore_data_model.sql:
--
--		psql -v nleads=1000 -v npayload=4 -f bench/sql/seed.sql
--
-- Ids are decimal numbers as text, so that pgbench (whose variables are
-- numbers) can compute every id on the client and send it as a parameter:
--	business units	'1'..'20'
--	technologies	bu * 100 + k, k = 1..10; k = 1..3 are CMS (k = 1 the default)
--	rfps, leads		'1'..:nleads; lead i has rfp i and business unit (i - 1) % 20 + 1
--
-- bench_payload holds :npayload sets of the data a client sends: section
-- content, sources, chunk texts and embeddings (3072 float4 each), in every
-- form the variants take.  A pgbench client fetches one set ONCE (\gset, in its
-- first transaction) into its own variables, and from then on sends it as
-- bind parameters on every call, like an application does.  The embedding
-- text is each float4 in its shortest exact form (e.g. -0.027288454, about
-- 12 characters): what node-postgres sends for the number[] an embedding API
-- returns in JSON.  (A Float32Array's values widened to float8 print with 17
-- digits, e.g. 0.02429448813199997, and cost the server about 50 % more to
-- parse; not used here.)
--

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET extra_float_digits = 1;
SELECT setseed(0.42);

INSERT INTO business_units (id, name)
SELECT b::text, 'Business unit ' || b FROM generate_series(1, 20) b;

INSERT INTO technologies (id, name, business_unit_id, category, is_default)
SELECT (b * 100 + k)::text,
	   'Technology ' || b || '-' || k,
	   b::text,
	   CASE WHEN k <= 3 THEN 'CMS' WHEN k <= 6 THEN 'Framework' ELSE 'Hosting' END,
	   k = 1
FROM generate_series(1, 20) b, generate_series(1, 10) k;

INSERT INTO rfps (id, title)
SELECT i::text, 'RFP ' || i FROM generate_series(1, :nleads) i;

INSERT INTO leads (id, rfp_id, business_unit_id, customer_name)
SELECT i::text, i::text, ((i - 1) % 20 + 1)::text, 'Customer ' || i
FROM generate_series(1, :nleads) i;

-- The 13 section ids of the deep scan; scripts pick one with
-- (ARRAY[...])[:sec], the same expression in every variant.
CREATE TABLE bench_sections (idx int PRIMARY KEY, section_id text NOT NULL);
INSERT INTO bench_sections VALUES
	(1, 'overview'), (2, 'technology-stack'), (3, 'website-analysis'),
	(4, 'cms-recommendation'), (5, 'integrations'), (6, 'migration'),
	(7, 'hosting'), (8, 'security'), (9, 'performance'), (10, 'accessibility'),
	(11, 'costs'), (12, 'risks'), (13, 'decision');

-- bench_floats: :npayload x 20 x 3072 float4 values, embedding-like magnitudes
CREATE TEMP TABLE bench_floats AS
SELECT p, r, c, ((random() - 0.5) * 0.1)::real AS x
FROM generate_series(1, :npayload) p, generate_series(0, 19) r,
	 generate_series(1, 3072) c;

-- one embedding row as float text (the node-postgres form) and packed bytes
CREATE TEMP TABLE bench_rows AS
SELECT p, r,
	   '{' || string_agg(x::text, ',' ORDER BY c) || '}' AS txt,
	   string_agg(substr(float4send(x), 4, 1) || substr(float4send(x), 3, 1) ||
				  substr(float4send(x), 2, 1) || substr(float4send(x), 1, 1),
				  ''::bytea ORDER BY c) AS packed
FROM bench_floats GROUP BY p, r;

CREATE TEMP TABLE bench_chunks AS
SELECT p, r,
	   format('Chunk %s of the section analysis, payload %s. ', r, p) ||
	   repeat('The customer runs a multilingual corporate website on an ageing CMS; '
			  'the analysis found 240 templates, 18 integrations and a custom search. ', 5)
	   AS txt
FROM generate_series(1, :npayload) p, generate_series(0, 19) r;

CREATE TABLE bench_payload (
	k			int PRIMARY KEY,
	content		text NOT NULL,		-- jsonb text
	sources		text NOT NULL,		-- jsonb text: array of strings
	chunk		text NOT NULL,		-- the chunk text of a 1-chunk call
	chunks1		text[] NOT NULL,	-- {chunk}
	chunks20	text[] NOT NULL,	-- 20 chunk texts
	emb1		text NOT NULL,		-- 1-D real[] text, 3072 floats
	emb20		text NOT NULL,		-- 2-D real[] text, 20 x 3072
	packed1		bytea NOT NULL,		-- 3072 little-endian float4
	packed20	bytea NOT NULL		-- 20 x 3072 little-endian float4, row-major
);

INSERT INTO bench_payload
SELECT p,
	   jsonb_build_object(
		   'summary', 'The lead runs a large multilingual website that needs a new CMS. ' ||
					  repeat('Findings are consistent with a mid-size migration project. ', 8),
		   'findings', (SELECT jsonb_agg(jsonb_build_object('title', 'Finding ' || f,
															'severity', f % 3,
															'detail', repeat('detail ', 10)))
						FROM generate_series(1, 6) f),
		   'score', 72, 'payload', p)::text,
	   '["https://example.com/about", "https://example.com/imprint", "https://example.com/careers"]',
	   (SELECT txt FROM bench_chunks c WHERE c.p = pp.p AND c.r = 0),
	   (SELECT ARRAY[txt] FROM bench_chunks c WHERE c.p = pp.p AND c.r = 0),
	   (SELECT array_agg(txt ORDER BY r) FROM bench_chunks c WHERE c.p = pp.p),
	   (SELECT txt FROM bench_rows b WHERE b.p = pp.p AND b.r = 0),
	   (SELECT '{' || string_agg(txt, ',' ORDER BY r) || '}' FROM bench_rows b WHERE b.p = pp.p),
	   (SELECT packed FROM bench_rows b WHERE b.p = pp.p AND b.r = 0),
	   (SELECT string_agg(packed, ''::bytea ORDER BY r) FROM bench_rows b WHERE b.p = pp.p)
FROM generate_series(1, :npayload) pp(p);

-- the 20 one-row embeddings and chunk texts the statement variants (A, B)
-- bind one per VALUES row, as an ORM's multi-row insert does
CREATE TABLE bench_payload_rows (
	k		int,
	r		int,
	chunk	text NOT NULL,
	emb		text NOT NULL,
	PRIMARY KEY (k, r)
);
INSERT INTO bench_payload_rows
SELECT b.p, b.r, c.txt, b.txt FROM bench_rows b JOIN bench_chunks c USING (p, r);

-- the same floats in every form, checked once
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM bench_payload
			   WHERE ARRAY(SELECT unnest(emb20::real[])) IS DISTINCT FROM
					 (SELECT array_agg(x ORDER BY r, c) FROM bench_floats f WHERE f.p = k)
					   OR length(packed20) <> 20 * 3072 * 4
					   OR array_length(emb20::real[], 1) <> 20) THEN
		RAISE EXCEPTION 'bench payload is inconsistent';
	END IF;
END
$$;

ANALYZE;
