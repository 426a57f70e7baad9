--
-- bench/sql/plpgsql_variant.sql
--		Variant C of the benchmark: store_section_result and select_cms written
--		in PL/pgSQL with leadstore's contract (same arguments, checks,
--		SQLSTATEs, result types, lock order; numeric confidence rounded half
--		away from zero, then 0..100; sources a JSON array or object).  It is the comparison a user
--		would otherwise write; it is NOT part of the extension.
--
--		Differences from leadstore, all in C's favour or neutral:
--		- ids are gen_random_uuid() (v4) text, cheaper than a UUIDv7 built in
--		  PL/pgSQL; the tables are named public.* directly (no
--		  leadstore.data_schema lookup);
--		- embeddings come only as real[] text (no packed form): PL/pgSQL has no
--		  cheap way to turn bytea into real[].
--

\set ON_ERROR_STOP 1
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE FUNCTION bench.store_section_result(
	lead_id		text,
	section_id	text,
	content		jsonb,
	confidence	numeric DEFAULT NULL,
	sources		jsonb DEFAULT NULL,
	chunks		text[] DEFAULT NULL,
	embeddings	real[] DEFAULT NULL,
	chunk_type	text DEFAULT 'analysis',
	agent_name	text DEFAULT NULL)
RETURNS leadstore.section_write
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
#variable_conflict use_column
DECLARE
	n			int := coalesce(cardinality(chunks), 0);
	ndims		int := coalesce(array_ndims(embeddings), 0);
	nrows		int;
	dim			int;
	v_rfp		text;
	v_id		text;
	v_created	boolean;
	v_replaced	int;
	v_meta		jsonb;
	v_emb		real[];
	v_nan		boolean;
	v_conf		int;
	i			int := 0;
	r			leadstore.section_write;
BEGIN
	IF lead_id IS NULL OR section_id IS NULL OR content IS NULL THEN
		RAISE EXCEPTION 'lead_id, section_id and content must not be null'
			USING ERRCODE = '22004';
	END IF;
	IF lead_id = '' OR section_id = '' THEN
		RAISE EXCEPTION 'lead_id and section_id must not be empty'
			USING ERRCODE = '22023';
	END IF;
	-- round() of numeric rounds half away from zero; NaN sorts above 100
	-- and the infinities outside 0..100, so the range test refuses them too
	IF confidence IS NOT NULL THEN
		IF NOT (round(confidence) BETWEEN 0 AND 100) THEN
			RAISE EXCEPTION 'confidence % is out of range', confidence
				USING ERRCODE = '22023';
		END IF;
		v_conf := round(confidence)::int;
	END IF;
	IF sources IS NOT NULL AND jsonb_typeof(sources) NOT IN ('array', 'object') THEN
		RAISE EXCEPTION 'sources must be a JSON array or object'
			USING ERRCODE = '22023';
	END IF;
	IF n > 0 THEN
		IF array_ndims(chunks) <> 1 THEN
			RAISE EXCEPTION 'chunks must be a one-dimensional array'
				USING ERRCODE = '22023';
		END IF;
		IF array_position(chunks, NULL) IS NOT NULL THEN
			RAISE EXCEPTION 'chunks must not contain null elements'
				USING ERRCODE = '22023';
		END IF;
		IF embeddings IS NULL THEN
			RAISE EXCEPTION 'chunks has % elements but no embeddings were given', n
				USING ERRCODE = '22023';
		END IF;
		IF ndims NOT IN (1, 2) THEN
			RAISE EXCEPTION 'embeddings must have 1 or 2 dimensions, not %', ndims
				USING ERRCODE = '22023';
		END IF;
		nrows := CASE ndims WHEN 1 THEN 1 ELSE array_length(embeddings, 1) END;
		dim := array_length(embeddings, ndims);
		IF nrows <> n THEN
			RAISE EXCEPTION 'embeddings has % rows but chunks has % elements', nrows, n
				USING ERRCODE = '22023';
		END IF;
		IF dim < 1 OR dim > 16000 THEN
			RAISE EXCEPTION 'embeddings has dimension %', dim USING ERRCODE = '22023';
		END IF;
		-- NaN = NaN is true for float4; "= ANY" is NULL (not false) when
		-- there is no NaN but a NULL element.  Both scans are C loops.
		v_nan := 'NaN'::real = ANY (embeddings);
		IF v_nan IS NULL THEN
			RAISE EXCEPTION 'embeddings must not contain null elements'
				USING ERRCODE = '22023';
		END IF;
		IF v_nan OR embeddings && '{Infinity,-Infinity}'::real[] THEN
			RAISE EXCEPTION 'embeddings must be finite' USING ERRCODE = '22023';
		END IF;
	ELSIF embeddings IS NOT NULL AND cardinality(embeddings) > 0 THEN
		RAISE EXCEPTION 'embeddings given without chunks' USING ERRCODE = '22023';
	END IF;

	SELECT l.rfp_id INTO v_rfp
	FROM public.leads l WHERE l.id = store_section_result.lead_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'lead "%" does not exist', lead_id USING ERRCODE = 'P0002';
	END IF;

	INSERT INTO public.lead_section_data AS d
		(id, lead_id, section_id, content, confidence, sources, created_at, updated_at)
	VALUES (gen_random_uuid()::text, store_section_result.lead_id,
			store_section_result.section_id, store_section_result.content,
			v_conf, store_section_result.sources,
			now(), now())
	ON CONFLICT (lead_id, section_id) DO UPDATE
		SET content = EXCLUDED.content, confidence = EXCLUDED.confidence,
			sources = EXCLUDED.sources, updated_at = EXCLUDED.updated_at
	RETURNING d.id, (d.xmax = 0) INTO v_id, v_created;

	DELETE FROM public.rfp_embeddings e
	WHERE e.lead_id = store_section_result.lead_id
	  AND e.section_id = store_section_result.section_id;
	GET DIAGNOSTICS v_replaced = ROW_COUNT;

	IF n > 0 THEN
		v_meta := jsonb_build_object('sectionId', store_section_result.section_id,
									 'leadId', store_section_result.lead_id,
									 'confidence', v_conf,
									 'sources', store_section_result.sources);
		-- one 1-D real[] per chunk (SLICE 1 also yields a 1-D input whole)
		FOREACH v_emb SLICE 1 IN ARRAY embeddings LOOP
			INSERT INTO public.rfp_embeddings
				(id, rfp_id, lead_id, section_id, agent_name, chunk_type,
				 chunk_index, content, metadata, embedding, created_at)
			VALUES (gen_random_uuid()::text, v_rfp, store_section_result.lead_id,
					store_section_result.section_id,
					coalesce(store_section_result.agent_name,
							 'deep-scan-' || store_section_result.section_id),
					coalesce(store_section_result.chunk_type, 'analysis'),
					i, chunks[i + 1], v_meta, v_emb, now());
			i := i + 1;
		END LOOP;
	END IF;

	r.section_row_id := v_id;
	r.rfp_id := v_rfp;
	r.created := v_created;
	r.chunks_written := n;
	r.chunks_replaced := v_replaced;
	RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION bench.select_cms(
	lead_id		text,
	cms_id		text,
	nowait		boolean DEFAULT false)
RETURNS leadstore.cms_selection
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
#variable_conflict use_column
DECLARE
	v_bu		text;
	v_prev		text;
	t_bu		text;
	t_cat		text;
	r			leadstore.cms_selection;
BEGIN
	IF lead_id IS NULL OR cms_id IS NULL THEN
		RAISE EXCEPTION 'lead_id and cms_id must not be null' USING ERRCODE = '22004';
	END IF;
	IF lead_id = '' OR cms_id = '' THEN
		RAISE EXCEPTION 'lead_id and cms_id must not be empty' USING ERRCODE = '22023';
	END IF;

	IF coalesce(nowait, false) THEN
		SELECT l.business_unit_id, l.selected_cms_id INTO v_bu, v_prev
		FROM public.leads l WHERE l.id = select_cms.lead_id
		FOR NO KEY UPDATE NOWAIT;
	ELSE
		SELECT l.business_unit_id, l.selected_cms_id INTO v_bu, v_prev
		FROM public.leads l WHERE l.id = select_cms.lead_id
		FOR NO KEY UPDATE;
	END IF;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'lead "%" does not exist', lead_id USING ERRCODE = 'P0002';
	END IF;

	IF coalesce(nowait, false) THEN
		SELECT t.business_unit_id, t.category INTO t_bu, t_cat
		FROM public.technologies t WHERE t.id = select_cms.cms_id
		FOR SHARE NOWAIT;
	ELSE
		SELECT t.business_unit_id, t.category INTO t_bu, t_cat
		FROM public.technologies t WHERE t.id = select_cms.cms_id
		FOR SHARE;
	END IF;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'technology "%" does not exist', cms_id USING ERRCODE = 'P0002';
	END IF;
	IF t_cat IS DISTINCT FROM 'CMS' THEN
		RAISE EXCEPTION 'technology "%" is not a CMS', cms_id USING ERRCODE = '22023';
	END IF;
	IF t_bu IS DISTINCT FROM v_bu THEN
		RAISE EXCEPTION 'technology "%" does not belong to the business unit of lead "%"',
			cms_id, lead_id USING ERRCODE = '22023';
	END IF;

	r.lead_id := lead_id;
	r.previous_cms_id := v_prev;
	r.selected_cms_id := cms_id;
	r.changed := v_prev IS DISTINCT FROM cms_id;
	IF r.changed THEN
		UPDATE public.leads l SET selected_cms_id = select_cms.cms_id, updated_at = now()
		WHERE l.id = select_cms.lead_id;
	END IF;
	RETURN r;
END
$$;
