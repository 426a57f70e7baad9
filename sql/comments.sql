--
-- comments: every member of the extension (functions and types) carries a
-- COMMENT, so that \df+ and \dT+ explain it.  A member added without one
-- makes the first query return a row.
--
\set SHOW_CONTEXT never

-- members without a comment: none (implicit array types of the result
-- types, members too on PostgreSQL 18, have no comment of their own)
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS member_without_comment
FROM pg_depend d
LEFT JOIN pg_description c
	ON c.classoid = d.classid AND c.objoid = d.objid AND c.objsubid = 0
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'leadstore')
  AND NOT (d.classid = 'pg_type'::regclass
		   AND EXISTS (SELECT 1 FROM pg_type a WHERE a.typarray = d.objid))
  AND c.description IS NULL
ORDER BY 1;

-- the members checked, by kind (so that the check cannot pass on an empty
-- list)
SELECT d.classid::regclass AS catalog, count(*) AS members,
	   count(c.description) AS commented
FROM pg_depend d
LEFT JOIN pg_description c
	ON c.classoid = d.classid AND c.objoid = d.objid AND c.objsubid = 0
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'leadstore')
  AND NOT (d.classid = 'pg_type'::regclass
		   AND EXISTS (SELECT 1 FROM pg_type a WHERE a.typarray = d.objid))
GROUP BY 1 ORDER BY d.classid::regclass::text COLLATE "C";

-- every function's comment names what it needs or does in more than a few
-- words, and the extension itself has one
SELECT p.proname, length(c.description) >= 40 AS substantial
FROM pg_proc p
LEFT JOIN pg_description c ON c.classoid = 'pg_proc'::regclass AND c.objoid = p.oid
WHERE p.pronamespace = 'leadstore'::regnamespace
ORDER BY 1;
SELECT obj_description(oid, 'pg_extension') IS NOT NULL AS extension_commented
FROM pg_extension WHERE extname = 'leadstore';
