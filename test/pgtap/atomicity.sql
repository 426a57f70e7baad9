--
-- atomicity.sql
--		store_section_result is all or nothing (its atomicity guarantee): an
--		error at any point of the call -- a trigger on the second chunk, a
--		statement_timeout in the middle of the chunk loop, a CHECK constraint,
--		a trigger on lead_section_data, a trigger on the chunk delete --
--		leaves lead_section_data and rfp_embeddings exactly as they were
--		(same rows, same row versions), and ROLLBACK TO SAVEPOINT after a
--		successful call leaves no trace while the caller's earlier work in
--		the same transaction survives.
--
BEGIN;
SELECT plan(31);

-- Fixture: one lead with two stored sections whose rows are then aged, so
-- that any write a failed call leaves behind shows in updated_at/created_at.
INSERT INTO public.business_units (id, name) VALUES ('at-bu', 'Atomicity BU');
INSERT INTO public.rfps (id, title) VALUES ('at-rfp', 'Atomicity RFP');
INSERT INTO public.leads (id, rfp_id, business_unit_id, customer_name)
VALUES ('at-lead', 'at-rfp', 'at-bu', 'Atomicity Customer');

-- The two tables as they are now, row versions included (ctid, xmin), and
-- a place to keep them.
CREATE TEMP VIEW sections_now AS
	SELECT s.ctid::text AS row_ctid, s.xmin::text AS row_xmin, s.*
	FROM public.lead_section_data s;
CREATE TEMP VIEW chunks_now AS
	SELECT e.ctid::text AS row_ctid, e.xmin::text AS row_xmin, e.*
	FROM public.rfp_embeddings e;
CREATE TEMP TABLE sections_before AS SELECT * FROM sections_now WITH NO DATA;
CREATE TEMP TABLE chunks_before AS SELECT * FROM chunks_now WITH NO DATA;
CREATE PROCEDURE pg_temp.snapshot() LANGUAGE sql AS $$
	DELETE FROM sections_before;
	INSERT INTO sections_before SELECT * FROM sections_now;
	DELETE FROM chunks_before;
	INSERT INTO chunks_before SELECT * FROM chunks_now;
$$;

-- The SQLSTATE a statement raises ('00000' if none); unlike throws_ok it
-- also catches query_canceled (57014), which WHEN OTHERS does not.
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN '00000';
EXCEPTION WHEN query_canceled OR others THEN
	RETURN SQLSTATE;
END
$$;

SELECT results_eq(
	$$SELECT created, chunks_written, chunks_replaced
	  FROM leadstore.store_section_result('at-lead', 'scope', '{"v": 1}', 40,
	       '["old-source"]', '{old chunk 0,old chunk 1,old chunk 2}',
	       '{{1,1},{2,2},{3,3}}')$$,
	$$VALUES (true, 3, 0)$$,
	'setup: section "scope" stored with 3 chunks');
SELECT results_eq(
	$$SELECT created, chunks_written, chunks_replaced
	  FROM leadstore.store_section_result('at-lead', 'team', '{"t": 1}', 70,
	       NULL, '{team chunk 0,team chunk 1}', '{{5,5},{6,6}}')$$,
	$$VALUES (true, 2, 0)$$,
	'setup: section "team" stored with 2 chunks');

UPDATE public.lead_section_data
SET created_at = '2024-03-01 10:00:00+00', updated_at = '2024-03-02 10:00:00+00'
WHERE lead_id = 'at-lead';
UPDATE public.rfp_embeddings
SET created_at = '2024-03-02 10:00:00+00'
WHERE lead_id = 'at-lead';
CALL pg_temp.snapshot();

--
-- 1. A trigger raising on the second chunk (chunk_index = 1)
--
CREATE FUNCTION public.at_reject_second_chunk() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.lead_id = 'at-lead' AND NEW.chunk_index = 1 THEN
		RAISE EXCEPTION 'chunk % of section "%" rejected by trigger',
			NEW.chunk_index, NEW.section_id
			USING ERRCODE = 'LSX01';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER at_reject_second_chunk BEFORE INSERT ON public.rfp_embeddings
	FOR EACH ROW EXECUTE FUNCTION public.at_reject_second_chunk();

-- re-run of a stored section: the upsert, the delete of the 3 old chunks
-- and the insert of chunk 0 have all happened when chunk 1 fails
SELECT throws_ok(
	$$SELECT leadstore.store_section_result('at-lead', 'scope', '{"v": 2}', 99,
	      '["new-source"]', '{new chunk 0,new chunk 1,new chunk 2}',
	      '{{7,7},{8,8},{9,9}}')$$,
	'LSX01', 'chunk 1 of section "scope" rejected by trigger',
	'a trigger error on the second chunk propagates with the trigger''s SQLSTATE and message');
SELECT results_eq(
	$$SELECT content, confidence, sources, created_at, updated_at
	  FROM public.lead_section_data
	  WHERE lead_id = 'at-lead' AND section_id = 'scope'$$,
	$$VALUES ('{"v": 1}'::jsonb, 40, '["old-source"]'::jsonb,
	          '2024-03-01 10:00:00+00'::timestamptz,
	          '2024-03-02 10:00:00+00'::timestamptz)$$,
	'trigger on chunk 1: the previously stored section keeps content, confidence, sources, created_at and updated_at');
SELECT results_eq(
	$$SELECT chunk_index, content, embedding FROM public.rfp_embeddings
	  WHERE lead_id = 'at-lead' AND section_id = 'scope' ORDER BY chunk_index$$,
	$$VALUES (0, 'old chunk 0', '{1,1}'::real[]), (1, 'old chunk 1', '{2,2}'::real[]),
	         (2, 'old chunk 2', '{3,3}'::real[])$$,
	'trigger on chunk 1: the section''s previous chunks are intact');
SELECT set_eq('SELECT * FROM sections_now', 'SELECT * FROM sections_before',
	'trigger on chunk 1 (re-run): lead_section_data is exactly as before, row versions included');
SELECT set_eq('SELECT * FROM chunks_now', 'SELECT * FROM chunks_before',
	'trigger on chunk 1 (re-run): rfp_embeddings is exactly as before, row versions included');

-- first store of a new section: the insert of the section row and of
-- chunk 0 have happened when chunk 1 fails
SELECT throws_ok(
	$$SELECT leadstore.store_section_result('at-lead', 'budget', '{"b": 1}', 50,
	      NULL, '{budget chunk 0,budget chunk 1}', '{{1,2},{3,4}}')$$,
	'LSX01', 'chunk 1 of section "budget" rejected by trigger',
	'a trigger error on the second chunk of a new section propagates');
SELECT set_eq('SELECT * FROM sections_now', 'SELECT * FROM sections_before',
	'trigger on chunk 1 (new section): no lead_section_data row is left');
SELECT set_eq('SELECT * FROM chunks_now', 'SELECT * FROM chunks_before',
	'trigger on chunk 1 (new section): no rfp_embeddings row is left');

DROP TRIGGER at_reject_second_chunk ON public.rfp_embeddings;

--
-- 2. statement_timeout fires while the call sleeps in a trigger on chunk 1
--
CREATE FUNCTION public.at_sleep_on_second_chunk() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.lead_id = 'at-lead' AND NEW.chunk_index = 1 THEN
		PERFORM pg_sleep(30);
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER at_sleep_on_second_chunk BEFORE INSERT ON public.rfp_embeddings
	FOR EACH ROW EXECUTE FUNCTION public.at_sleep_on_second_chunk();

SAVEPOINT before_timeout;
SET LOCAL statement_timeout = '200ms';
SELECT pg_temp.sqlstate_of(
	$$SELECT leadstore.store_section_result('at-lead', 'scope', '{"v": 3}', 10,
	      NULL, '{slow chunk 0,slow chunk 1}', '{{1,0},{0,1}}')$$) AS timeout_sqlstate
\gset
ROLLBACK TO SAVEPOINT before_timeout;
SELECT is(:'timeout_sqlstate'::text, '57014',
	'statement_timeout in the middle of the chunk loop raises 57014');
SELECT set_eq('SELECT * FROM sections_now', 'SELECT * FROM sections_before',
	'statement_timeout: lead_section_data is exactly as before');
SELECT set_eq('SELECT * FROM chunks_now', 'SELECT * FROM chunks_before',
	'statement_timeout: rfp_embeddings is exactly as before');

DROP TRIGGER at_sleep_on_second_chunk ON public.rfp_embeddings;

--
-- 3. A CHECK constraint on rfp_embeddings fails on the second chunk
--
ALTER TABLE public.rfp_embeddings
	ADD CONSTRAINT at_no_forbidden_chunk CHECK (content <> 'forbidden chunk');
CALL pg_temp.snapshot();	-- the ALTER TABLE may not move rows, but be sure

SELECT throws_ok(
	$$SELECT leadstore.store_section_result('at-lead', 'scope', '{"v": 4}', 20,
	      NULL, '{fine chunk,forbidden chunk}', '{{1,2},{3,4}}')$$,
	'23514', 'new row for relation "rfp_embeddings" violates check constraint "at_no_forbidden_chunk"',
	'a CHECK violation on the second chunk propagates as 23514');
SELECT set_eq('SELECT * FROM sections_now', 'SELECT * FROM sections_before',
	'CHECK violation: lead_section_data is exactly as before');
SELECT set_eq('SELECT * FROM chunks_now', 'SELECT * FROM chunks_before',
	'CHECK violation: rfp_embeddings is exactly as before');

ALTER TABLE public.rfp_embeddings DROP CONSTRAINT at_no_forbidden_chunk;

--
-- 4. An AFTER trigger on lead_section_data rejects the upserted row
--
CREATE FUNCTION public.at_reject_section() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.lead_id = 'at-lead' AND NEW.confidence = 13 THEN
		RAISE EXCEPTION 'section "%" rejected by trigger', NEW.section_id
			USING ERRCODE = 'LSX02';
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER at_reject_section AFTER INSERT OR UPDATE ON public.lead_section_data
	FOR EACH ROW EXECUTE FUNCTION public.at_reject_section();

SELECT throws_ok(
	$$SELECT leadstore.store_section_result('at-lead', 'scope', '{"v": 5}', 13,
	      NULL, '{x}', '{1,2}')$$,
	'LSX02', 'section "scope" rejected by trigger',
	'a trigger error on lead_section_data (update of a stored section) propagates');
SELECT throws_ok(
	$$SELECT leadstore.store_section_result('at-lead', 'risks', '{"r": 1}', 13,
	      NULL, '{x}', '{1,2}')$$,
	'LSX02', 'section "risks" rejected by trigger',
	'a trigger error on lead_section_data (insert of a new section) propagates');
SELECT set_eq('SELECT * FROM sections_now', 'SELECT * FROM sections_before',
	'trigger on lead_section_data: lead_section_data is exactly as before');
SELECT set_eq('SELECT * FROM chunks_now', 'SELECT * FROM chunks_before',
	'trigger on lead_section_data: rfp_embeddings is exactly as before');

DROP TRIGGER at_reject_section ON public.lead_section_data;

--
-- 5. A trigger rejects the delete of the old chunks (after the upsert ran)
--
CREATE FUNCTION public.at_reject_chunk_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.lead_id = 'at-lead' AND OLD.section_id = 'scope' THEN
		RAISE EXCEPTION 'delete of chunk % rejected by trigger', OLD.chunk_index
			USING ERRCODE = 'LSX03';
	END IF;
	RETURN OLD;
END
$$;
CREATE TRIGGER at_reject_chunk_delete BEFORE DELETE ON public.rfp_embeddings
	FOR EACH ROW EXECUTE FUNCTION public.at_reject_chunk_delete();

SELECT throws_ok(
	$$SELECT leadstore.store_section_result('at-lead', 'scope', '{"v": 6}', 60)$$,
	'LSX03', 'delete of chunk 0 rejected by trigger',
	'a trigger error while deleting the old chunks propagates');
SELECT set_eq('SELECT * FROM sections_now', 'SELECT * FROM sections_before',
	'trigger on the chunk delete: lead_section_data is exactly as before (the upsert is undone)');
SELECT set_eq('SELECT * FROM chunks_now', 'SELECT * FROM chunks_before',
	'trigger on the chunk delete: rfp_embeddings is exactly as before');

DROP TRIGGER at_reject_chunk_delete ON public.rfp_embeddings;

--
-- 6. ROLLBACK TO SAVEPOINT after successful calls
--
-- the caller's earlier work in this transaction: an update of its own and a
-- section stored through leadstore, both before the savepoint
UPDATE public.leads SET customer_name = 'Renamed before the savepoint'
WHERE id = 'at-lead';
SELECT results_eq(
	$$SELECT created, chunks_written
	  FROM leadstore.store_section_result('at-lead', 'earlier', '{"e": 1}', 30,
	       NULL, '{earlier chunk}', '{4,4}')$$,
	$$VALUES (true, 1)$$,
	'setup: section "earlier" stored before the savepoint');
CALL pg_temp.snapshot();

SAVEPOINT caller_savepoint;
SELECT chunks_written AS sp_written, chunks_replaced AS sp_replaced
FROM leadstore.store_section_result('at-lead', 'scope', '{"v": 7}', 77, NULL,
	'{savepoint chunk 0,savepoint chunk 1}', '{{1,1},{2,2}}')
\gset
SELECT created AS sp_created
FROM leadstore.store_section_result('at-lead', 'inside', '{"i": 1}', NULL, NULL,
	'{inside chunk}', '{9,9}')
\gset
SELECT count(*) AS sp_rows_inside FROM public.rfp_embeddings
WHERE lead_id = 'at-lead'
  AND content IN ('savepoint chunk 0', 'savepoint chunk 1', 'inside chunk')
\gset
ROLLBACK TO SAVEPOINT caller_savepoint;

SELECT is(:'sp_written' || '/' || :'sp_replaced' || '/' || :'sp_created' || '/' || :'sp_rows_inside',
	'2/3/t/3',
	'inside the savepoint the calls replaced 3 chunks with 2, created "inside" and wrote 3 chunk rows');
SELECT set_eq('SELECT * FROM sections_now', 'SELECT * FROM sections_before',
	'after ROLLBACK TO SAVEPOINT: lead_section_data is exactly as at the savepoint');
SELECT set_eq('SELECT * FROM chunks_now', 'SELECT * FROM chunks_before',
	'after ROLLBACK TO SAVEPOINT: rfp_embeddings is exactly as at the savepoint');
SELECT is((SELECT customer_name FROM public.leads WHERE id = 'at-lead'),
	'Renamed before the savepoint',
	'after ROLLBACK TO SAVEPOINT: the caller''s earlier update survives');
SELECT results_eq(
	$$SELECT s.content, e.content, e.embedding
	  FROM public.lead_section_data s
	  JOIN public.rfp_embeddings e USING (lead_id, section_id)
	  WHERE s.lead_id = 'at-lead' AND s.section_id = 'earlier'$$,
	$$VALUES ('{"e": 1}'::jsonb, 'earlier chunk', '{4,4}'::real[])$$,
	'after ROLLBACK TO SAVEPOINT: the section stored before the savepoint survives with its chunk');

--
-- 7. After all the failures the section is still whole and writable
--
SELECT results_eq(
	$$SELECT created, chunks_written, chunks_replaced
	  FROM leadstore.store_section_result('at-lead', 'scope', '{"v": 8}', 80,
	       NULL, '{final chunk}', '{8,8}')$$,
	$$VALUES (false, 1, 3)$$,
	'a later re-run finds the original section and replaces its 3 original chunks');
SELECT results_eq(
	$$SELECT section_id, count(*)::int FROM public.rfp_embeddings
	  WHERE lead_id = 'at-lead' GROUP BY section_id ORDER BY section_id$$,
	$$VALUES ('earlier', 1), ('scope', 1), ('team', 2)$$,
	'the lead''s chunks are exactly those of the successful calls');

SELECT * FROM finish();
ROLLBACK;
