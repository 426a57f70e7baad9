--
-- invariants.sql -- what must hold in a leadstore database after any mix of
-- calls, errors, rollbacks, crashes and promotions.
--
-- Every query returns one row per violation, "invariant|detail", and nothing
-- when the invariant holds: the TAP tests run this file with psql -At and
-- expect empty output.  Each query shows at most 20 violating rows.
--
-- The tests write through leadstore in a recognisable way, and the checks
-- lean on that:
--	* every committed call inserts its row into tap.calls in the same
--	  transaction (call_id, kind 'section' or 'chunks', its key, n = number of
--	  chunks it passed);
--	* a section's content is {"call": <call_id>, "n": <n>, ...};
--	* store_chunks metadata is {"call": <call_id>, "n": <n>};
--	* chunk i of call c has the text 'c<c>-<i>' and the embedding
--	  tap.vectors row i (so a chunk's text, index and embedding all name the
--	  call and the position that wrote them).
--
-- Table and column names are psql variables, so the same file checks the
-- reference data model and an application's mapped tables:
--	schema, leads, lsd (section table), emb (chunk table), tech,
--	leads_rfp, lsd_lead, emb_lead, emb_rfp (the mapped key columns).
-- Content, sources and metadata may be jsonb, json or text (cast to jsonb
-- here); timestamps may be timestamptz or timestamp without time zone
-- holding UTC.
--

\if :{?schema}
\else
\set schema public
\endif
\if :{?leads}
\else
\set leads leads
\endif
\if :{?lsd}
\else
\set lsd lead_section_data
\endif
\if :{?emb}
\else
\set emb rfp_embeddings
\endif
\if :{?tech}
\else
\set tech technologies
\endif
\if :{?leads_rfp}
\else
\set leads_rfp rfp_id
\endif
\if :{?lsd_lead}
\else
\set lsd_lead lead_id
\endif
\if :{?emb_lead}
\else
\set emb_lead lead_id
\endif
\if :{?emb_rfp}
\else
\set emb_rfp rfp_id
\endif

-- Read everything as of one snapshot, whatever else is running.
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SET LOCAL TimeZone = 'Asia/Kathmandu';	-- +05:45: a naive-UTC mix-up shows

-- A section's chunks have chunk_index exactly 0..n-1.
SELECT 'section_chunk_index',
	   format('lead %s section %s: %s chunks with chunk_index %s',
			  lead, section, n, idx)
FROM (SELECT e.:"emb_lead" AS lead, e.section_id AS section, count(*) AS n,
			 array_agg(e.chunk_index::int ORDER BY e.chunk_index) AS idx
	  FROM :"schema".:"emb" e
	  WHERE e.section_id IS NOT NULL
	  GROUP BY 1, 2) s
WHERE idx <> ARRAY(SELECT generate_series(0, n::int - 1))
ORDER BY 2 LIMIT 20;

-- A section holds exactly the chunks of the call that wrote the section row
-- last: that call committed (tap.calls), its chunk count, its chunk texts.
SELECT 'section_chunks_of_last_writer',
	   format('lead %s section %s: content names call %s (%s), %s chunks (call passed %s), %s chunks of another call',
			  d.:"lsd_lead", d.section_id, d.content::jsonb ->> 'call',
			  CASE WHEN c.call_id IS NULL THEN 'not committed'
				   ELSE 'committed' END,
			  x.n, c.n, x.foreign_chunks)
FROM :"schema".:"lsd" d
LEFT JOIN tap.calls c
	   ON c.call_id = (d.content::jsonb ->> 'call')::bigint
	  AND c.kind = 'section'
	  AND c.lead_id = d.:"lsd_lead"
	  AND c.section_id = d.section_id
CROSS JOIN LATERAL
	(SELECT count(*) AS n,
			count(*) FILTER (WHERE e.content IS DISTINCT FROM
							 'c' || (d.content::jsonb ->> 'call') || '-' || e.chunk_index)
				AS foreign_chunks
	 FROM :"schema".:"emb" e
	 WHERE e.:"emb_lead" = d.:"lsd_lead" AND e.section_id = d.section_id) x
WHERE c.call_id IS NULL OR x.n <> c.n OR x.foreign_chunks > 0
ORDER BY 2 LIMIT 20;

-- No section chunk without its section row.
SELECT 'section_chunk_without_section',
	   format('chunk %s (lead %s section %s index %s) has no %s row',
			  e.id, e.:"emb_lead", e.section_id, e.chunk_index, :'lsd')
FROM :"schema".:"emb" e
WHERE e.section_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM :"schema".:"lsd" d
				  WHERE d.:"lsd_lead" = e.:"emb_lead"
					AND d.section_id = e.section_id)
ORDER BY 2 LIMIT 20;

-- A section chunk's metadata names its section and lead.
SELECT 'section_chunk_metadata',
	   format('chunk %s (lead %s section %s): metadata %s',
			  e.id, e.:"emb_lead", e.section_id, e.metadata)
FROM :"schema".:"emb" e
WHERE e.section_id IS NOT NULL
  AND (e.metadata::jsonb ->> 'sectionId' IS DISTINCT FROM e.section_id
	   OR e.metadata::jsonb ->> 'leadId' IS DISTINCT FROM e.:"emb_lead")
ORDER BY 2 LIMIT 20;

-- A chunk of a lead carries that lead's rfp_id.
SELECT 'chunk_rfp_is_leads_rfp',
	   format('chunk %s (lead %s section %s agent %s): rfp %s, lead''s rfp %s',
			  e.id, e.:"emb_lead", e.section_id, e.agent_name,
			  e.:"emb_rfp", l.:"leads_rfp")
FROM :"schema".:"emb" e
JOIN :"schema".:"leads" l ON l.id = e.:"emb_lead"
WHERE e.:"emb_rfp" IS DISTINCT FROM l.:"leads_rfp"
ORDER BY 2 LIMIT 20;

-- Chunks without a section (store_chunks): every key (rfp, lead, agent)
-- holds exactly one committed call's chunks, 0..n-1, n of that call.
SELECT 'chunks_key_one_call',
	   format('rfp %s lead %s agent %s: calls %s (%s), %s chunks with chunk_index %s (call passed %s), %s texts of another call',
			  k.rfp, coalesce(k.lead, 'NULL'), k.agent_name, k.calls,
			  CASE WHEN c.call_id IS NULL THEN 'not committed'
				   ELSE 'committed' END,
			  k.n, k.idx, c.n, k.foreign_chunks)
FROM (SELECT e.:"emb_rfp" AS rfp, e.:"emb_lead" AS lead, e.agent_name,
			 count(*) AS n,
			 array_agg(DISTINCT e.metadata::jsonb ->> 'call') AS calls,
			 array_agg(e.chunk_index::int ORDER BY e.chunk_index) AS idx,
			 count(*) FILTER (WHERE e.content IS DISTINCT FROM
							  'c' || (e.metadata::jsonb ->> 'call') || '-' || e.chunk_index)
				AS foreign_chunks
	  FROM :"schema".:"emb" e
	  WHERE e.section_id IS NULL
	  GROUP BY 1, 2, 3) k
LEFT JOIN tap.calls c
	   ON c.call_id = (k.calls[1])::bigint
	  AND c.kind = 'chunks'
	  AND c.rfp_id = k.rfp
	  AND c.lead_id IS NOT DISTINCT FROM k.lead
	  AND c.agent_name = k.agent_name
WHERE cardinality(k.calls) <> 1
   OR k.idx <> ARRAY(SELECT generate_series(0, k.n::int - 1))
   OR k.foreign_chunks > 0
   OR c.call_id IS NULL
   OR c.n <> k.n
ORDER BY 2 LIMIT 20;

-- Every chunk's embedding is the one the test sent for its position, bit for
-- bit (packed or real[]).
SELECT 'chunk_embedding',
	   format('chunk %s (lead %s section %s agent %s index %s): embedding has %s elements, first %s, not the vector sent for index %s',
			  e.id, e.:"emb_lead", e.section_id, e.agent_name, e.chunk_index,
			  array_length(e.embedding::real[], 1),
			  (e.embedding::real[])[1:3], e.chunk_index)
FROM :"schema".:"emb" e
LEFT JOIN tap.vectors v ON v.i = e.chunk_index
WHERE v.vec IS NULL OR e.embedding::real[] <> v.vec
ORDER BY 2 LIMIT 20;

-- The function's own report agrees with what the test passed.
SELECT 'call_result',
	   format('call %s (%s): passed %s chunks, function reported %s written',
			  call_id, kind, n, written)
FROM tap.calls
WHERE written IS DISTINCT FROM n
ORDER BY 2 LIMIT 20;

-- The calls on one section, or on one store_chunks key, took turns: in
-- commit order, each call replaced exactly the chunks of the call before it
-- (chunks_replaced = that call's n; 0 for the first).  Two calls that ran
-- side by side instead (a missing serialization) both replace the same
-- earlier chunks, and their mixture is caught here even when a later call
-- cleaned it up.
SELECT 'replaced_previous_call',
	   format('%s call %s (lead %s, section %s, rfp %s, agent %s) replaced %s chunks; the call before it in commit order, %s, wrote %s',
			  kind, call_id, coalesce(lead_id, 'NULL'), coalesce(section_id, 'NULL'),
			  rfp_id, coalesce(agent_name, 'NULL'), replaced,
			  coalesce(prev_call::text, 'none'), coalesce(prev_n, 0))
FROM (SELECT c.*,
			 lag(c.n) OVER w AS prev_n, lag(c.call_id) OVER w AS prev_call
	  FROM (SELECT *, pg_xact_commit_timestamp(xid::text::xid) AS ts
			FROM tap.calls) c
	  WINDOW w AS (PARTITION BY kind, lead_id, section_id, rfp_id, agent_name
				   ORDER BY ts, call_id)) o
WHERE replaced IS DISTINCT FROM coalesce(prev_n, 0)
ORDER BY 2 LIMIT 20;

-- Every selected CMS is a CMS (category exactly 'CMS') of the lead's
-- business unit.
SELECT 'selected_cms',
	   format('lead %s (business unit %s) selects %s: %s',
			  l.id, l.business_unit_id, l.selected_cms_id,
			  CASE WHEN t.id IS NULL THEN 'no such technology'
				   ELSE format('category %s, business unit %s',
							   t.category, t.business_unit_id) END)
FROM :"schema".:"leads" l
LEFT JOIN :"schema".:"tech" t ON t.id = l.selected_cms_id
WHERE l.selected_cms_id IS NOT NULL
  AND (t.id IS NULL
	   OR t.category IS DISTINCT FROM 'CMS'
	   OR t.business_unit_id <> l.business_unit_id)
ORDER BY 2 LIMIT 20;

-- ... and at every commit in between: from the commit timestamps of the
-- leads' history (selection, business unit) and the technologies' history
-- (business unit, category), no moment at which a lead selected a
-- technology that was not a CMS of the lead's business unit.  A change of
-- the technology that commits while a selection of it is in flight (a
-- technology lock too weak) shows here even when later calls overwrote the
-- selection.
WITH lh AS (
	SELECT h.lead_id, h.new_cms, h.new_bu,
		   pg_xact_commit_timestamp(h.xid::text::xid) AS ts
	FROM tap.lead_history h),
li AS (
	SELECT lead_id, new_cms, new_bu, ts AS t_from,
		   lead(ts) OVER (PARTITION BY lead_id ORDER BY ts) AS t_to
	FROM lh),
th AS (
	SELECT h.id, h.new_bu, h.new_category,
		   pg_xact_commit_timestamp(h.xid::text::xid) AS ts
	FROM tap.tech_history h),
ti AS (
	SELECT id, new_bu, new_category, ts AS t_from,
		   lead(ts) OVER (PARTITION BY id ORDER BY ts) AS t_to
	FROM th)
SELECT 'selected_cms_at_every_commit',
	   format('from %s to %s lead %s (business unit %s) selected %s, then of business unit %s, category %s',
			  greatest(li.t_from, ti.t_from), least(li.t_to, ti.t_to),
			  li.lead_id, li.new_bu, li.new_cms, ti.new_bu, ti.new_category)
FROM li JOIN ti ON ti.id = li.new_cms
WHERE (ti.new_category IS DISTINCT FROM 'CMS' OR ti.new_bu <> li.new_bu)
  AND li.t_from < coalesce(ti.t_to, 'infinity')
  AND ti.t_from < coalesce(li.t_to, 'infinity')
UNION ALL
SELECT 'selected_cms_at_every_commit',
	   format('%s change(s) without a commit timestamp (track_commit_timestamp off?)', count(*))
FROM (SELECT xid FROM tap.lead_history UNION ALL SELECT xid FROM tap.tech_history) x
WHERE pg_xact_commit_timestamp(x.xid::text::xid) IS NULL
HAVING count(*) > 0
ORDER BY 2 LIMIT 20;

-- A CMS call decided on the value it overwrote: what it reported as the
-- previous selection is what its transaction changed (tap.lead_history, a
-- trigger on the leads table); a call that reported no change changed
-- nothing; select_cms_if changed only when the previous selection was the
-- expected one.  A read that races the write (a lead lock too weak) shows
-- here as a previous selection that is not what was overwritten.
SELECT 'cms_decided_under_lock',
	   format('%s on lead %s (xact %s): reported %s -> %s (changed %s, expected %s); its transaction changed: %s',
			  c.fn, c.lead_id, c.xid, coalesce(c.previous, 'NULL'),
			  coalesce(c.selected, 'NULL'), c.changed,
			  coalesce(c.expected, 'NULL'),
			  coalesce((SELECT string_agg(format('%s -> %s', coalesce(h.old_cms, 'NULL'),
												 coalesce(h.new_cms, 'NULL')), ', ')
						FROM tap.lead_history h
						WHERE h.xid = c.xid AND h.lead_id = c.lead_id
						  AND h.old_cms IS DISTINCT FROM h.new_cms), 'nothing'))
FROM tap.lead_calls c
WHERE c.fn IN ('select_cms', 'select_cms_if', 'clear_cms_selection', 'select_default_cms')
  AND CASE WHEN c.changed
		   THEN NOT EXISTS (SELECT 1 FROM tap.lead_history h
							WHERE h.xid = c.xid AND h.lead_id = c.lead_id
							  AND h.old_cms IS NOT DISTINCT FROM c.previous
							  AND h.new_cms IS NOT DISTINCT FROM c.selected)
				OR (c.fn = 'select_cms_if' AND c.previous IS DISTINCT FROM c.expected)
		   ELSE EXISTS (SELECT 1 FROM tap.lead_history h
						WHERE h.xid = c.xid AND h.lead_id = c.lead_id
						  AND h.old_cms IS DISTINCT FROM h.new_cms)
	  END
ORDER BY 2 LIMIT 20;

-- begin_deep_scan started a run only over a lead that was not running, or
-- whose run was at least stale_after old; when it started none, it wrote
-- nothing.  A successful finish_deep_scan ended a running run.
SELECT 'deep_scan_decided_under_lock',
	   format('%s on lead %s (xact %s): reported %s, status %s (stale_after %s); its transaction changed: %s',
			  c.fn, c.lead_id, c.xid,
			  CASE WHEN c.changed THEN 'a transition' ELSE 'no transition' END,
			  c.status, c.stale,
			  coalesce((SELECT string_agg(format('%s -> %s (started_at moved %s)', h.old_status,
												 h.new_status, h.gap), ', ')
						FROM tap.lead_history h
						WHERE h.xid = c.xid AND h.lead_id = c.lead_id), 'nothing'))
FROM tap.lead_calls c
WHERE (c.fn = 'begin_deep_scan' AND c.changed
	   AND NOT EXISTS (SELECT 1 FROM tap.lead_history h
					   WHERE h.xid = c.xid AND h.lead_id = c.lead_id
						 AND h.new_status = 'running'
						 AND NOT (h.old_status = 'running'
								  AND coalesce(h.gap < c.stale, false))))
   OR (c.fn = 'begin_deep_scan' AND NOT c.changed
	   AND EXISTS (SELECT 1 FROM tap.lead_history h
				   WHERE h.xid = c.xid AND h.lead_id = c.lead_id))
   OR (c.fn = 'finish_deep_scan'
	   AND NOT EXISTS (SELECT 1 FROM tap.lead_history h
					   WHERE h.xid = c.xid AND h.lead_id = c.lead_id
						 AND h.old_status = 'running'
						 AND h.new_status IN ('completed', 'failed')))
ORDER BY 2 LIMIT 20;

-- Deep-scan columns agree with the status.
SELECT 'deep_scan_columns',
	   format('lead %s: status %s, started_at %s, completed_at %s',
			  l.id, l.deep_scan_status, l.deep_scan_started_at,
			  l.deep_scan_completed_at)
FROM :"schema".:"leads" l
WHERE CASE l.deep_scan_status
		WHEN 'pending' THEN false
		WHEN 'running' THEN l.deep_scan_started_at IS NULL
						 OR l.deep_scan_completed_at IS NOT NULL
		WHEN 'completed' THEN l.deep_scan_started_at IS NULL
						   OR l.deep_scan_completed_at IS NULL
						   OR l.deep_scan_completed_at < l.deep_scan_started_at
		WHEN 'failed' THEN l.deep_scan_started_at IS NULL
						OR l.deep_scan_completed_at IS NULL
						OR l.deep_scan_completed_at < l.deep_scan_started_at
		ELSE true
	  END
ORDER BY 2 LIMIT 20;

-- A running run carries no error (begin_deep_scan clears it), when the
-- optional deep_scan_error column exists.
SELECT EXISTS (SELECT 1 FROM pg_attribute
			   WHERE attrelid = format('%I.%I', :'schema', :'leads')::regclass
				 AND attname = 'deep_scan_error' AND NOT attisdropped)
	AS inv_has_error_column \gset
\if :inv_has_error_column
SELECT 'deep_scan_error_while_running',
	   format('lead %s: running since %s with error %s',
			  l.id, l.deep_scan_started_at, l.deep_scan_error)
FROM :"schema".:"leads" l
WHERE l.deep_scan_status = 'running' AND l.deep_scan_error IS NOT NULL
ORDER BY 2 LIMIT 20;
\endif

-- Timestamps leadstore wrote are UTC instants of this test run (a column
-- without time zone holds UTC wall-clock time, whatever the TimeZone).
-- tap.config.t0 is the test's start.
SELECT 'timestamps_utc',
	   format('%s %s: %s = %s is outside [%s, %s]', tbl, id, col, val,
			  (SELECT t0 FROM tap.config), clock_timestamp())
FROM (SELECT :'leads' AS tbl, l.id, 'deep_scan_started_at' AS col,
			 (l.deep_scan_started_at::text
			  || CASE WHEN pg_typeof(l.deep_scan_started_at) = 'timestamp'::regtype
					  THEN '+00' ELSE '' END)::timestamptz AS val
	  FROM :"schema".:"leads" l WHERE l.deep_scan_started_at IS NOT NULL
	  UNION ALL
	  SELECT :'leads', l.id, 'deep_scan_completed_at',
			 (l.deep_scan_completed_at::text
			  || CASE WHEN pg_typeof(l.deep_scan_completed_at) = 'timestamp'::regtype
					  THEN '+00' ELSE '' END)::timestamptz
	  FROM :"schema".:"leads" l WHERE l.deep_scan_completed_at IS NOT NULL
	  UNION ALL
	  SELECT :'lsd', d.id, 'updated_at',
			 (d.updated_at::text
			  || CASE WHEN pg_typeof(d.updated_at) = 'timestamp'::regtype
					  THEN '+00' ELSE '' END)::timestamptz
	  FROM :"schema".:"lsd" d
	  UNION ALL
	  SELECT :'emb', e.id, 'created_at',
			 (e.created_at::text
			  || CASE WHEN pg_typeof(e.created_at) = 'timestamp'::regtype
					  THEN '+00' ELSE '' END)::timestamptz
	  FROM :"schema".:"emb" e) t
WHERE val < (SELECT t0 FROM tap.config) - interval '1 second'
   OR val > clock_timestamp() + interval '1 second'
ORDER BY 2 LIMIT 20;

COMMIT;
