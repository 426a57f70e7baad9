--
-- errors: every error of the contract the functions raise from their
-- arguments or the data, each with its SQLSTATE, and each followed by
-- unchanged(): no row of the data model was written.
--
-- (55P03 needs a second session: test/isolation/specs/cms_select_nowait.spec.
-- 42P01/42703/42804: settings.sql and types.sql; store_chunks: store_chunks.sql;
-- run tokens and outcomes: deep_scan.sql.)
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SELECT snapshot();

-- 22004: a required argument is NULL
SELECT * FROM leadstore.store_section_result(NULL, 'overview', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', NULL, '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms(NULL, 'cms-wp');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms('lead-1', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms_if(NULL, NULL, 'cms-wp');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms_if('lead-1', NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.clear_cms_selection(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_default_cms(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.begin_deep_scan(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.finish_deep_scan(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: empty ids
SELECT * FROM leadstore.store_section_result('', 'overview', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', '', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunk_type => '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	agent_name => '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms('lead-1', '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms_if('lead-1', '', 'cms-wp');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.begin_deep_scan('');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: confidence outside 0..100 (rounding: test values)
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}', 101);
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: sources a JSON scalar (arrays and objects of any kind: test values)
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	sources => '"rfp.pdf"');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	sources => 'null');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: chunk count differs from embedding rows
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a', 'b'], embeddings => '{{1,2}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a', 'b'], embeddings => '{1,2}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings => '{{1,2},{3,4}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	embeddings => '{1,2}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings => '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: no embeddings for chunks, or both forms
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings => '{1}',
	embeddings_packed => '\x0000803f');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: embeddings not 1-D/2-D, chunks not 1-D, NULL elements
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings => '{{{1}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => '{{a},{b}}', embeddings => '{{1},{2}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a', NULL], embeddings => '{{1},{2}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a', 'b'], embeddings => '{{1,2},{3,NULL}}');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: NaN and infinities, in both forms
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a', 'b'], embeddings => '{{1,2},{3,NaN}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings => '{Infinity,1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings => '{1,-Infinity}');
\echo :LAST_ERROR_SQLSTATE
-- 0000c07f is a NaN, 0000807f +Infinity, 000080ff -Infinity
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings_packed => '\x0000803f0000c07f');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a', 'b'], embeddings_packed => '\x0000803f000080ff');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: dimension over 16000, and packed lengths that do not divide
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings => array_fill(1::real, ARRAY[16001]));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'],
	embeddings_packed => decode(repeat('0000803f', 16001), 'hex'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings_packed => '\x0000803f00');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a', 'b'], embeddings_packed => '\x0000803f');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a'], embeddings_packed => '\x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	embeddings_packed => '\x0000803f');
\echo :LAST_ERROR_SQLSTATE
-- 16000 is accepted
SELECT chunks_written FROM leadstore.store_section_result('lead-1', 'max-dim',
	'{}', chunks => ARRAY['a'], embeddings => array_fill(1::real, ARRAY[16000]));
SELECT snapshot();

-- 22023: stale_after negative
SELECT * FROM leadstore.begin_deep_scan('lead-1', interval '-1 minute');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- P0002: the lead, or the technology, does not exist
SELECT * FROM leadstore.store_section_result('no-such-lead', 'overview', '{}',
	chunks => ARRAY['a'], embeddings => '{1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms('no-such-lead', 'cms-wp');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms_if('no-such-lead', NULL, 'cms-wp');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.clear_cms_selection('no-such-lead');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_default_cms('no-such-lead');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.begin_deep_scan('no-such-lead');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.finish_deep_scan('no-such-lead');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms('lead-1', 'no-such-cms');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms_if('lead-1', NULL, 'no-such-cms');
\echo :LAST_ERROR_SQLSTATE
-- ids are compared exactly: no trimming, no case folding
SELECT * FROM leadstore.select_cms('LEAD-1', 'cms-wp');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms('lead-1', 'cms-wp ');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 22023: not a CMS (category exactly 'CMS'), or another business unit
SELECT * FROM leadstore.select_cms('lead-1', 'fw-react');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms('lead-1', 'tech-nocat');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms('lead-1', 'cms-lower');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms('lead-1', 'cms-shopware');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.select_cms_if('lead-1', NULL, 'cms-shopware');
\echo :LAST_ERROR_SQLSTATE
-- the compare-and-set checks the technology even when it would not write
SELECT * FROM leadstore.select_cms_if('lead-1', 'cms-other', 'fw-react');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- 55000: finish_deep_scan on a lead that is not running
SELECT deep_scan_status FROM leads WHERE id = 'lead-1';
SELECT * FROM leadstore.finish_deep_scan('lead-1');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();

-- an error inside a transaction block aborts it: nothing of it stays
BEGIN;
SELECT created FROM leadstore.store_section_result('lead-1', 'in-tx', '{}');
SELECT * FROM leadstore.select_cms('lead-1', 'fw-react');
COMMIT;
SELECT unchanged();

-- values PostgreSQL itself cannot parse fail before leadstore runs
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{"a": }');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM leadstore.store_section_result('lead-1', 'overview', '{}',
	chunks => ARRAY['a', 'b'], embeddings => '{{1,2},{3}}');
\echo :LAST_ERROR_SQLSTATE
SELECT unchanged();
