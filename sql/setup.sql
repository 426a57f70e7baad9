--
-- setup: the extension, the reference data model and the rows every later
-- regression test uses.  Also two helpers: snapshot() records a fingerprint
-- of every data-model row, unchanged() says whether it still matches, so
-- that each error case can show that nothing was written.
--
\set SHOW_CONTEXT never
CREATE EXTENSION leadstore;
\set ECHO none
\i sql/leadstore_data_model.sql
\set ECHO all

-- the extension's members: four result types and nine functions
-- (PostgreSQL 18 also records each result type's implicit array type as a
-- member; those are left out so that every major gives the same list)
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS member
FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'leadstore')
  AND NOT (d.classid = 'pg_type'::regclass
		   AND EXISTS (SELECT 1 FROM pg_type a WHERE a.typarray = d.objid))
ORDER BY 1;

-- the data model is not part of the extension
SELECT count(*) AS extension_tables
FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
  AND c.relname IN ('leads', 'lead_section_data', 'rfp_embeddings');

INSERT INTO business_units (id, name) VALUES
	('bu-1', 'Digital'), ('bu-2', 'Commerce'), ('bu-3', 'Empty');
INSERT INTO technologies (id, name, business_unit_id, category, is_default) VALUES
	('cms-drupal', 'Drupal', 'bu-1', 'CMS', true),
	('cms-aem', 'AEM', 'bu-1', 'CMS', true),
	('cms-wp', 'WordPress', 'bu-1', 'CMS', false),
	('fw-react', 'React', 'bu-1', 'Framework', false),
	('tech-nocat', 'Unclassified', 'bu-1', NULL, false),
	('cms-lower', 'lower case cms', 'bu-1', 'cms', false),
	('cms-shopware', 'Shopware', 'bu-2', 'CMS', false);
INSERT INTO rfps (id, title) VALUES ('rfp-1', 'Portal'), ('rfp-2', 'Shop');
INSERT INTO leads (id, rfp_id, business_unit_id, customer_name) VALUES
	('lead-1', 'rfp-1', 'bu-1', 'ACME'),
	('lead-2', 'rfp-2', 'bu-1', 'Globex'),
	('lead-3', 'rfp-2', 'bu-2', 'Initech'),
	('lead-4', 'rfp-1', 'bu-3', 'Umbrella'),
	('lead-5', 'rfp-1', 'bu-1', 'Hooli');

CREATE TABLE regress_snapshot (fp text);

CREATE FUNCTION state_fingerprint() RETURNS text LANGUAGE sql AS $$
	SELECT md5(concat_ws('|',
		(SELECT string_agg(t::text, ',' ORDER BY t.id) FROM leads t),
		(SELECT string_agg(t::text, ',' ORDER BY t.id) FROM technologies t),
		(SELECT string_agg(t::text, ',' ORDER BY t.id) FROM lead_section_data t),
		(SELECT string_agg(t::text, ',' ORDER BY t.id) FROM rfp_embeddings t)))
$$;

CREATE FUNCTION snapshot() RETURNS void LANGUAGE sql AS $$
	DELETE FROM regress_snapshot;
	INSERT INTO regress_snapshot SELECT state_fingerprint();
$$;

CREATE FUNCTION unchanged() RETURNS boolean LANGUAGE sql AS $$
	SELECT fp = state_fingerprint() FROM regress_snapshot
$$;
