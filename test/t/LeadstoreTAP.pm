# LeadstoreTAP.pm -- shared pieces of leadstore's TAP tests (test/t/*.pl):
# nodes, the two data models (reference and an application's mapped tables),
# the tap schema the tests record their calls in, pgbench client scripts,
# and the invariant check (invariants.sql plus pg_amcheck).
#
# Every committed call the clients make inserts a row into tap.calls in the
# same transaction, and writes a recognisable content/metadata/chunk text
# (see invariants.sql), so the invariants can tell whose chunks a section or
# a store_chunks key holds after crashes, rollbacks and promotions.

package LeadstoreTAP;

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(
  ls_budget ls_new_node ls_setup_db ls_features ls_require_features
  ls_check_invariants ls_scripts ls_pgbench_start ls_pgbench_finish
  ls_count_log %LS_REF %LS_APP
);

my $here = dirname(abs_path(__FILE__));

# Dimension of every embedding the tests send: 512 float4 make a 2 KB array,
# over the TOAST threshold, so chunk rows exercise the toast table too.
our $DIM = 512;

# Logical -> actual names of the two data models.  ref is the reference
# model in schema public; app is shaped like the application's own tables.
our %LS_REF = (
	schema => 'public',
	bu => 'business_units',
	tech => 'technologies',
	rfps => 'rfps',
	leads => 'leads',
	lsd => 'lead_section_data',
	emb => 'rfp_embeddings',
	leads_rfp => 'rfp_id',
	lsd_lead => 'lead_id',
	emb_lead => 'lead_id',
	emb_rfp => 'rfp_id',
	mapped => 0);
our %LS_APP = (
	schema => 'app',
	bu => 'business_units',
	tech => 'technologies',
	rfps => 'pre_qualifications',
	leads => 'qualifications',
	lsd => 'qualification_section_data',
	emb => 'deal_embeddings',
	leads_rfp => 'pre_qualification_id',
	lsd_lead => 'qualification_id',
	emb_lead => 'qualification_id',
	emb_rfp => 'pre_qualification_id',
	mapped => 1);

# Seed sizes.  Leads 1..$VOLATILE_LEADS may change business unit during a
# run (the admin script); the others never do, so calls on them can be made
# at top level without racing the admin script.  Technologies V1..V6 move
# between business units and categories; T<bu>cms1 (default) / T<bu>cms2 are
# fixed CMSs, T<bu>fw a Framework, T<bu>lc category 'cms' (not a CMS).
our $NLEADS = 48;
our $VOLATILE_LEADS = 8;
our $NBU = 3;
our $NRFPS = 8;
our $NVTECH = 6;
our $NSECTIONS = 13;
our $NAGENTS = 4;

# ls_budget(seconds): the whole test fails, naming the budget, instead of
# hanging past it.
sub ls_budget
{
	my ($secs) = @_;
	$SIG{ALRM} = sub {
		diag("test exceeded its time budget of $secs s (a lock that never "
			  . "releases, or a client that never ends)");
		die "time budget of $secs s exceeded\n";
	};
	alarm($secs);
	return;
}

# ls_new_node(name, init params...): a node configured for these tests.
# lock_timeout and statement_timeout apply to every session, clients
# included: a lock that is never released is a named error, not a hang.
sub ls_new_node
{
	my ($name, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%init);
	$node->append_conf(
		'postgresql.conf', qq{
max_connections = 60
shared_buffers = 64MB
max_wal_size = 1GB
log_statement = none
log_line_prefix = '%m [%p] %e %d '
log_min_messages = warning
restart_after_crash = on
track_commit_timestamp = on
deadlock_timeout = 200ms
lock_timeout = 15s
statement_timeout = 60s
idle_in_transaction_session_timeout = 60s
});
	return $node;
}

# The application-shaped tables: renamed tables and key columns, timestamps
# without time zone (holding UTC), JSON in text columns, a unique index
# rather than a constraint on the section key, an extra defaulted column,
# and the optional deep_scan_error column.
my $app_ddl = q{
CREATE SCHEMA app;
SET search_path = app;
CREATE TABLE business_units (
	id varchar(64) PRIMARY KEY,
	name text NOT NULL,
	created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	updated_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'));
CREATE TABLE technologies (
	id varchar(64) PRIMARY KEY,
	name text NOT NULL,
	business_unit_id varchar(64) NOT NULL REFERENCES business_units (id),
	category text,
	is_default boolean NOT NULL DEFAULT false,
	created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	updated_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'));
CREATE TABLE pre_qualifications (
	id text PRIMARY KEY,
	title text,
	created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'));
CREATE TABLE qualifications (
	id text PRIMARY KEY,
	pre_qualification_id text NOT NULL REFERENCES pre_qualifications (id),
	business_unit_id varchar(64) NOT NULL REFERENCES business_units (id),
	customer_name text NOT NULL,
	notes text NOT NULL DEFAULT '',
	deep_scan_status text NOT NULL DEFAULT 'pending',
	deep_scan_started_at timestamp,
	deep_scan_completed_at timestamp,
	deep_scan_error text,
	selected_cms_id varchar(64) REFERENCES technologies (id) ON DELETE SET NULL,
	created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	updated_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'));
CREATE INDEX qualifications_pre_qualification_id_idx
	ON qualifications (pre_qualification_id);
CREATE TABLE qualification_section_data (
	id text PRIMARY KEY,
	qualification_id text NOT NULL REFERENCES qualifications (id) ON DELETE CASCADE,
	section_id text NOT NULL,
	content text NOT NULL,
	confidence integer,
	sources text,
	created_at timestamp NOT NULL,
	updated_at timestamp NOT NULL);
CREATE UNIQUE INDEX qualification_section_data_key
	ON qualification_section_data (qualification_id, section_id);
CREATE TABLE deal_embeddings (
	id text PRIMARY KEY,
	pre_qualification_id text NOT NULL REFERENCES pre_qualifications (id) ON DELETE CASCADE,
	qualification_id text REFERENCES qualifications (id) ON DELETE CASCADE,
	section_id text,
	agent_name text NOT NULL,
	chunk_type text NOT NULL,
	chunk_index integer NOT NULL,
	content text NOT NULL,
	metadata text,
	embedding real[] NOT NULL,
	created_at timestamp NOT NULL);
CREATE INDEX deal_embeddings_q_section_idx
	ON deal_embeddings (qualification_id, section_id);
CREATE INDEX deal_embeddings_pq_agent_idx
	ON deal_embeddings (pre_qualification_id, agent_name);
RESET search_path;
};

# The tap schema: the side table of committed calls, the embeddings the
# tests send, and small helpers used by the client scripts.
my $tap_ddl = q{
CREATE SCHEMA tap;
CREATE TABLE tap.config (t0 timestamptz NOT NULL, dim int NOT NULL);
CREATE SEQUENCE tap.call_seq;
CREATE TABLE tap.calls (
	call_id bigint PRIMARY KEY,
	kind text NOT NULL,				-- 'section' | 'chunks'
	lead_id text,
	section_id text,
	rfp_id text,
	agent_name text,
	n int NOT NULL,					-- chunks passed
	written int,					-- chunks_written reported
	replaced int,					-- chunks_replaced reported
	xid xid8 NOT NULL DEFAULT pg_current_xact_id());
-- what each committed CMS / deep-scan call reported (xid: its transaction)
CREATE TABLE tap.lead_calls (
	xid xid8 NOT NULL,
	fn text NOT NULL,
	lead_id text NOT NULL,
	expected text,					-- select_cms_if's expected_cms_id
	previous text,
	selected text,
	changed boolean,				-- changed / transitioned
	status text,
	stale interval);				-- begin_deep_scan's stale_after
-- what each transaction actually changed on a lead (trigger on leads)
CREATE TABLE tap.lead_history (
	xid xid8 NOT NULL,
	lead_id text NOT NULL,
	old_cms text,
	new_cms text,
	old_status text,
	new_status text,
	gap interval,					-- new deep_scan_started_at - old
	new_bu text);
CREATE FUNCTION tap.lead_history_trg() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	INSERT INTO tap.lead_history
	VALUES (pg_current_xact_id(), NEW.id, OLD.selected_cms_id, NEW.selected_cms_id,
			OLD.deep_scan_status, NEW.deep_scan_status,
			NEW.deep_scan_started_at - OLD.deep_scan_started_at,
			NEW.business_unit_id);
	RETURN NULL;
END
$$;
-- every state of a technology's business unit and category (seed rows,
-- then a trigger on technologies); with the commit timestamps of both
-- histories, the CMS invariant is checked at every commit, not just at
-- the end
CREATE TABLE tap.tech_history (
	xid xid8 NOT NULL,
	id text NOT NULL,
	new_bu text,
	new_category text);
CREATE FUNCTION tap.tech_history_trg() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	INSERT INTO tap.tech_history
	VALUES (pg_current_xact_id(), NEW.id, NEW.business_unit_id, NEW.category);
	RETURN NULL;
END
$$;
-- designed failures and expected races seen by tap.attempt
CREATE UNLOGGED TABLE tap.outcomes (label text NOT NULL, sqlstate text NOT NULL);

-- value of element j of the embedding sent for chunk index i
CREATE FUNCTION tap.val(i int, j int) RETURNS real
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE j WHEN 0 THEN i::real WHEN 1 THEN 0.25::real
					ELSE ((j * 7 + i) % 13 - 6)::real / 8 END $$;

-- little-endian float4 bytes
CREATE FUNCTION tap.le(r real) RETURNS bytea
LANGUAGE sql IMMUTABLE
AS $$ SELECT set_byte(set_byte(set_byte(set_byte('\x00000000'::bytea,
			0, get_byte(b, 3)), 1, get_byte(b, 2)), 2, get_byte(b, 1)),
			3, get_byte(b, 0))
	  FROM float4send(r) b $$;

CREATE TABLE tap.vectors (i int PRIMARY KEY, vec real[] NOT NULL, packed bytea NOT NULL);

-- k: 0 = no chunks, 1 = one chunk (1-D embeddings), 2 = 3 chunks, 3 = 20 chunks
CREATE TABLE tap.emb (k int PRIMARY KEY, n int NOT NULL, arr real[], packed bytea);

CREATE FUNCTION tap.chunks(call bigint, n int) RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$ SELECT coalesce(array_agg('c' || call || '-' || i ORDER BY i), '{}')
	  FROM generate_series(0, n - 1) i $$;

CREATE FUNCTION tap.lid(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'L' || i $$;
CREATE FUNCTION tap.sid(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 's' || i $$;
CREATE FUNCTION tap.agent(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'agent-' || i $$;
CREATE FUNCTION tap.bu(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'B' || i $$;
CREATE FUNCTION tap.rfp(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'R' || i $$;
CREATE FUNCTION tap.vtech(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'V' || i $$;
-- the business unit and rfp a lead is seeded with
CREATE FUNCTION tap.lead_bu(lead int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT lead % 3 + 1 $$;
CREATE FUNCTION tap.lead_rfp(lead int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'R' || (lead % 8 + 1) $$;
-- fixed technologies of a lead's (seeded) business unit
CREATE FUNCTION tap.cms_of(lead int, which int) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT 'T' || tap.lead_bu(lead) || 'cms' || which $$;
CREATE FUNCTION tap.tech_of(lead int, kind text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT 'T' || tap.lead_bu(lead) || kind $$;
CREATE FUNCTION tap.other_cms(lead int) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT 'T' || (tap.lead_bu(lead) % 3 + 1) || 'cms1' $$;

-- tap.attempt(label, sql, ok, must_fail, $1..$4): runs sql; an error whose
-- SQLSTATE is in ok is expected (a designed failure, or a legitimate race);
-- any other error is raised again with its own SQLSTATE (so pgbench counts a
-- deadlock as a deadlock), and must_fail without an error is an error.
CREATE FUNCTION tap.attempt(label text, sql text, ok text[], must_fail boolean,
							a1 text DEFAULT NULL, a2 text DEFAULT NULL,
							a3 text DEFAULT NULL, a4 text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql
AS $$
DECLARE
	st text := 'ok';
	msg text;
BEGIN
	BEGIN
		EXECUTE sql USING a1, a2, a3, a4;
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
		IF NOT st = ANY (ok) THEN
			RAISE EXCEPTION 'tap %: unexpected error %: %', label, st, msg
				USING ERRCODE = st;
		END IF;
	END;
	IF must_fail AND st = 'ok' THEN
		RAISE EXCEPTION 'tap %: succeeded, but must fail with one of %', label, ok
			USING ERRCODE = 'TAP02';
	END IF;
	INSERT INTO tap.outcomes VALUES (label, st);
	RETURN st;
END
$$;

-- a store whose transaction then fails: it must leave no trace
CREATE FUNCTION tap.store_then_fail(lead text, section text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	call bigint := nextval('tap.call_seq');
	e record;
BEGIN
	SELECT * INTO e FROM tap.emb WHERE k = 3;
	PERFORM leadstore.store_section_result(
		lead_id => lead, section_id => section,
		content => jsonb_build_object('call', call, 'n', e.n),
		chunks => tap.chunks(call, e.n), embeddings_packed => e.packed);
	RAISE EXCEPTION 'designed failure after a store' USING ERRCODE = 'TAP01';
END
$$;
};

# ls_setup_db(node, db, model => \%LS_REF|\%LS_APP): creates the database
# with leadstore, amcheck, the data model, the tap schema and the seed rows.
sub ls_setup_db
{
	my ($node, $db, %o) = @_;
	my $m = $o{model} || \%LS_REF;
	$node->safe_psql('postgres', qq{CREATE DATABASE "$db"});
	my $sharedir = $node->config_data('--sharedir');
	# The OS user running the tests may be called leadstore, like the
	# extension's schema: "\$user" in the default search_path would then
	# put the data model there.
	my $sql = "CREATE EXTENSION leadstore;\nCREATE EXTENSION amcheck;\n"
	  . "SET search_path = public;\n";
	if ($m->{mapped})
	{
		$sql .= $app_ddl;
	}
	else
	{
		$sql .= PostgreSQL::Test::Utils::slurp_file(
			"$sharedir/extension/leadstore_data_model.sql");
	}
	$sql .= $tap_ddl;
	$sql .= "INSERT INTO tap.config VALUES (now(), $DIM);\n";
	$sql .= qq{
INSERT INTO tap.vectors
SELECT i, array_agg(tap.val(i, j) ORDER BY j),
	   string_agg(tap.le(tap.val(i, j)), ''::bytea ORDER BY j)
FROM generate_series(0, 19) i, generate_series(0, $DIM - 1) j
GROUP BY i;
INSERT INTO tap.emb VALUES (0, 0, NULL, NULL);
INSERT INTO tap.emb SELECT 1, 1, vec, packed FROM tap.vectors WHERE i = 0;
INSERT INTO tap.emb
SELECT k, n, (SELECT array_agg(vec ORDER BY i) FROM tap.vectors WHERE i < n),
	   (SELECT string_agg(packed, ''::bytea ORDER BY i) FROM tap.vectors WHERE i < n)
FROM (VALUES (2, 3), (3, 20)) v(k, n);
};
	my $s = $m->{schema};
	$sql .= qq{
INSERT INTO "$s"."$m->{bu}" (id, name)
	SELECT 'B' || b, 'unit ' || b FROM generate_series(1, $NBU) b;
INSERT INTO "$s"."$m->{tech}" (id, name, business_unit_id, category, is_default)
	SELECT 'T' || b || t.suffix, t.suffix, 'B' || b, t.category, t.is_default
	FROM generate_series(1, $NBU) b,
		 (VALUES ('cms1', 'CMS', true), ('cms2', 'CMS', false),
				 ('fw', 'Framework', false), ('lc', 'cms', false)) t(suffix, category, is_default);
INSERT INTO "$s"."$m->{tech}" (id, name, business_unit_id, category)
	SELECT 'V' || v, 'volatile ' || v, 'B' || (v % $NBU + 1), 'CMS'
	FROM generate_series(1, $NVTECH) v;
INSERT INTO "$s"."$m->{rfps}" (id, title)
	SELECT 'R' || r, 'rfp ' || r FROM generate_series(1, $NRFPS) r;
INSERT INTO "$s"."$m->{leads}" (id, "$m->{leads_rfp}", business_unit_id, customer_name)
	SELECT tap.lid(l), tap.lead_rfp(l), tap.bu(tap.lead_bu(l)), 'customer ' || l
	FROM generate_series(1, $NLEADS) l;
CREATE TRIGGER tap_lead_history AFTER UPDATE ON "$s"."$m->{leads}" FOR EACH ROW
	WHEN (OLD.selected_cms_id IS DISTINCT FROM NEW.selected_cms_id
		  OR OLD.business_unit_id IS DISTINCT FROM NEW.business_unit_id
		  OR OLD.deep_scan_status IS DISTINCT FROM NEW.deep_scan_status
		  OR OLD.deep_scan_started_at IS DISTINCT FROM NEW.deep_scan_started_at)
	EXECUTE FUNCTION tap.lead_history_trg();
INSERT INTO tap.tech_history
	SELECT pg_current_xact_id(), id, business_unit_id, category FROM "$s"."$m->{tech}";
CREATE TRIGGER tap_tech_history AFTER UPDATE ON "$s"."$m->{tech}" FOR EACH ROW
	WHEN (OLD.business_unit_id IS DISTINCT FROM NEW.business_unit_id
		  OR OLD.category IS DISTINCT FROM NEW.category)
	EXECUTE FUNCTION tap.tech_history_trg();
ANALYZE;
};
	$node->safe_psql($db, $sql);

	if ($m->{mapped})
	{
		# as the application would configure it: per database
		$node->safe_psql(
			'postgres', qq{
ALTER DATABASE "$db" SET leadstore.data_schema = 'app';
ALTER DATABASE "$db" SET leadstore.table_names =
  'rfps=pre_qualifications, leads=qualifications, lead_section_data=qualification_section_data, rfp_embeddings=deal_embeddings';
ALTER DATABASE "$db" SET leadstore.column_names =
  'leads.rfp_id=pre_qualification_id, lead_section_data.lead_id=qualification_id, rfp_embeddings.lead_id=qualification_id, rfp_embeddings.rfp_id=pre_qualification_id';
ALTER DATABASE "$db" SET TimeZone = 'America/Los_Angeles';
ALTER DATABASE "$db" SET search_path = app, public;
});
	}
	return;
}

# ls_features(node, db): what the installed leadstore offers.
sub ls_features
{
	my ($node, $db) = @_;
	my $row = $node->safe_psql(
		$db, q{
LOAD 'leadstore';
SELECT (SELECT extversion FROM pg_extension WHERE extname = 'leadstore'),
	   EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'store_chunks'
			   AND pronamespace = 'leadstore'::regnamespace),
	   EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'finish_deep_scan'
			   AND pronamespace = 'leadstore'::regnamespace AND pronargs = 4),
	   EXISTS (SELECT 1 FROM pg_settings WHERE name = 'leadstore.table_names'),
	   EXISTS (SELECT 1 FROM pg_attribute
			   WHERE attrelid = to_regclass('public.leads')
				 AND attname = 'deep_scan_error' AND NOT attisdropped);
});
	my ($ver, $chunks, $token, $mapping, $errcol) = split /\|/, $row;
	return {
		version => $ver,
		store_chunks => $chunks eq 't',
		run_token => $token eq 't',
		mapping => $mapping eq 't',
		ref_error_column => $errcol eq 't',
	};
}

# From 0.2.0 on every feature must be there; 0.1.0 runs what it has.
sub ls_require_features
{
	my ($f) = @_;
	my ($maj, $min) = split /\./, $f->{version};
	if ($maj > 0 || $min >= 2)
	{
		ok($f->{store_chunks} && $f->{run_token} && $f->{mapping},
			"leadstore $f->{version} has store_chunks, run tokens and table/column mapping"
		);
	}
	else
	{
		note("leadstore $f->{version}: store_chunks, run tokens and mapped schemas not tested (0.2.0 features)");
	}
	return;
}

# ls_check_invariants(node, db, label, model => \%m): invariants.sql is empty,
# and pg_amcheck --heapallindexed is clean.
sub ls_check_invariants
{
	my ($node, $db, $label, %o) = @_;
	my $m = $o{model} || \%LS_REF;
	my $vars = join '',
	  map { "\\set $_ $m->{$_}\n" }
	  qw(schema leads lsd emb tech leads_rfp lsd_lead emb_lead emb_rfp);
	my $sql = $vars
	  . PostgreSQL::Test::Utils::slurp_file("$here/invariants.sql");
	my ($ret, $out, $err) = $node->psql(
		$db, $sql,
		timeout => 120,
		extra_params => [ '-A', '-t', '-v', 'ON_ERROR_STOP=1' ]);
	my $res = ($ret == 0 && $out eq '' && $err eq '');
	ok($res, "$label: invariants hold");
	diag("psql exit $ret\n$out\n$err") unless $res;

	my @amcheck = (
		$node->installed_command('pg_amcheck'), '--heapallindexed',
		'-h', $node->host, '-p', $node->port, '-d', $db);
	my ($aout, $aerr) = ('', '');
	my $aok = IPC::Run::run(\@amcheck, '>', \$aout, '2>', \$aerr,
		IPC::Run::timeout(120));
	ok($aok && $aout eq '', "$label: pg_amcheck --heapallindexed is clean");
	diag("pg_amcheck: $aout\n$aerr") unless $aok && $aout eq '';
	return $res && $aok && $aout eq '';
}

# ls_count_log(node, regex, offset): matching lines in the server log from
# byte offset on.
sub ls_count_log
{
	my ($node, $re, $offset) = @_;
	my $log = PostgreSQL::Test::Utils::slurp_file($node->logfile, $offset || 0);
	my @lines = grep { /$re/ } split /\n/, $log;
	return wantarray ? @lines : scalar @lines;
}

# ---------------------------------------------------------------------------
# pgbench client scripts.  Run with -M extended: every :variable is a bind
# parameter (so timestamps from \gset round-trip exactly), cast explicitly.

sub q_ident { my ($s, $t) = @_; return qq{"$s"."$t"}; }

# SQL text as the body of a string literal
sub lit { my ($s) = @_; $s =~ s/'/''/g; return $s; }

# a CMS call that records what it reported in tap.lead_calls, in the same
# statement (so only committed calls are recorded).  $from: an extra FROM
# item evaluated before the call (its columns usable in the arguments).
sub rec_cms
{
	my ($fn, $args, $expected, $from) = @_;
	$expected ||= 'NULL';
	my $src = $from ? "$from, leadstore.$fn($args) r0" : "leadstore.$fn($args) r0";
	my $exp_col = $from ? ", $expected AS exp" : '';
	my $exp = $from ? 'r.exp' : $expected;
	return qq{WITH r AS (SELECT r0.*$exp_col FROM $src)
INSERT INTO tap.lead_calls (xid, fn, lead_id, expected, previous, selected, changed)
SELECT pg_current_xact_id(), '$fn', r.lead_id, $exp, r.previous_cms_id, r.selected_cms_id, r.changed FROM r};
}

# store one section (lead :lead, section :sec) with chunk set :k, real[] or
# packed embeddings (:packed), recording the call in the same statement.
sub store_section_sql
{
	my ($lead, $sec, $call) = @_;
	$lead ||= ':lead';
	$sec  ||= ':sec';
	$call ||= ':call';
	return qq{WITH e AS (SELECT * FROM tap.emb WHERE k = least(:k::int, 3)),
r AS (SELECT r0.* FROM e, leadstore.store_section_result(
		lead_id => tap.lid(${lead}::int), section_id => tap.sid(${sec}::int),
		content => jsonb_build_object('call', ${call}::bigint, 'n', e.n, 'summary', repeat('x', 200)),
		confidence => :conf::int,
		sources => jsonb_build_array('tap', ${call}::bigint),
		chunks => tap.chunks(${call}::bigint, e.n),
		embeddings => CASE WHEN :packed::int = 0 THEN e.arr END,
		embeddings_packed => CASE WHEN :packed::int <> 0 THEN e.packed END) r0)
INSERT INTO tap.calls (call_id, kind, lead_id, section_id, rfp_id, n, written, replaced)
SELECT ${call}::bigint, 'section', tap.lid(${lead}::int), tap.sid(${sec}::int), r.rfp_id, e.n, r.chunks_written, r.chunks_replaced
FROM r CROSS JOIN e;
};
}

# store_chunks for agent :ag; :form 0 = lead only (rfp from the lead),
# 1 = rfp only (RFP-level chunks), 2 = both.
sub store_chunks_sql
{
	return q{WITH e AS (SELECT * FROM tap.emb WHERE k = least(:k::int, 3)),
r AS (SELECT r0.* FROM e, leadstore.store_chunks(
		rfp_id => CASE WHEN :form::int > 0 THEN tap.lead_rfp(:lead::int) END,
		agent_name => tap.agent(:ag::int),
		chunks => tap.chunks(:call::bigint, e.n),
		embeddings => CASE WHEN :packed::int = 0 THEN e.arr END,
		lead_id => CASE WHEN :form::int <> 1 THEN tap.lid(:lead::int) END,
		chunk_type => 'reference',
		metadata => jsonb_build_object('call', :call::bigint, 'n', e.n),
		embeddings_packed => CASE WHEN :packed::int <> 0 THEN e.packed END) r0)
INSERT INTO tap.calls (call_id, kind, lead_id, rfp_id, agent_name, n, written, replaced)
SELECT :call::bigint, 'chunks', r.lead_id, r.rfp_id, tap.agent(:ag::int), e.n, r.chunks_written, r.chunks_replaced
FROM r CROSS JOIN e;
};
}

my $pick = q{\set lead random(1, :ld_hi)
\set sec random(1, :sec_hi)
\set k random(0, 3)
\set packed random(0, 1)
\set conf random(0, 100)
\set ag random(1, :ag_hi)
\set form random(0, 2)
};
my $nextval = "SELECT nextval('tap.call_seq') AS call \\gset\n";

# ls_scripts(model => \%m, features => $f,
#			 set => 'crash'|'load'|'contention'|'standby'):
# [ name, text, weight ] for pgbench.  Variables: nleads.
sub ls_scripts
{
	my (%o) = @_;
	my $m = $o{model} || \%LS_REF;
	my $f = $o{features};
	my $set = $o{set} || 'load';
	my $pick = $pick;
	# crash rounds: 20-chunk sections, four in five with packed embeddings
	$pick =~ s/^\\set k .*$/\\set k random(2, 5)/m
	  and $pick =~ s/^\\set packed .*$/\\set packed random(0, 4)/m
	  if $set eq 'crash';
	my $leads = q_ident($m->{schema}, $m->{leads});
	my $tech = q_ident($m->{schema}, $m->{tech});
	my @s;

	# one 20-chunk (or 0/1/3) section store, autocommit
	push @s, [ 'store_section', $pick . $nextval . store_section_sql(), 30 ];

	# an explicit transaction: two sections of one lead (in section order,
	# so two such transactions cannot deadlock on the section rows), chunks
	# of an agent, and a CMS selection on the same lead
	{
		my $t = $pick
		  . q{\set sec2 :sec + random(1, 14 - :sec)
\set k 3
\set w random(1, 2)
BEGIN;
} . $nextval . store_section_sql() . $nextval
		  . store_section_sql(':lead', ':sec2');
		if ($f->{store_chunks})
		{
			$t .= $nextval . store_chunks_sql();
		}
		$t .= "\\if :lead > 8\n"
		  . rec_cms('select_cms', 'tap.lid(:lead::int), tap.cms_of(:lead::int, :w::int)')
		  . ";\n\\endif\nCOMMIT;\n";
		push @s, [ 'txn', $t, 10 ];
	}

	push @s, [ 'store_chunks', $pick . $nextval . store_chunks_sql(), 15 ]
	  if $f->{store_chunks};

	# select_cms of a random CMS of a volatile lead's business unit: the
	# technology may have moved meanwhile (22023), or none be left (22004)
	my $vol_cms_of = sub {
		my ($filter) = @_;
		return q{SELECT tap.attempt('select_cms volatile', '}
		  . lit(rec_cms('select_cms',
			"\$1, (SELECT t.id FROM $tech t JOIN $leads l ON l.business_unit_id = t.business_unit_id WHERE l.id = \$1 AND t.category = 'CMS'$filter ORDER BY random() LIMIT 1)"))
		  . q{', '{22023,22004}', false, tap.lid(:vlead::int));
};
	};
	my $vol_cms = $vol_cms_of->('');

	# CMS calls; leads 1..8 race the admin script, so their calls go through
	# tap.attempt (22023: the technology moved; 22004: none to pick)
	push @s, [
		'cms', qq{\\set lead random(9, :cms_hi)
\\set vlead random(1, 8)
\\set op random(1, 8)
\\set w random(1, 2)
\\set e random(0, 2)
\\set vt random(1, 6)
\\if :op = 1
} . rec_cms('select_cms', 'tap.lid(:lead::int), tap.cms_of(:lead::int, :w::int)') . qq{;
\\elif :op = 2
} . rec_cms('select_cms_if',
		'tap.lid(:lead::int), CASE WHEN :e::int > 0 THEN tap.cms_of(:lead::int, :e::int) END, tap.cms_of(:lead::int, :w::int)',
		'CASE WHEN :e::int > 0 THEN tap.cms_of(:lead::int, :e::int) END') . qq{;
\\elif :op = 3
} . rec_cms('clear_cms_selection', 'tap.lid(:lead::int)') . qq{;
\\elif :op = 4
} . rec_cms('select_default_cms', 'tap.lid(:lead::int)') . qq{;
\\elif :op = 5
SELECT tap.attempt('select_cms nowait', '}
		  . lit(rec_cms('select_cms', '$1, $2, nowait => true')) . qq{',
	'{55P03}', false, tap.lid(:lead::int), tap.cms_of(:lead::int, :w::int));
\\elif :op = 6
} . $vol_cms . qq{\\elif :op = 7
SELECT tap.attempt('select_cms_if volatile', '}
		  . lit(rec_cms('select_cms_if',
			"\$1, x.exp, tap.vtech(\$2::int)", 'x.exp',
			"(SELECT selected_cms_id AS exp FROM $leads WHERE id = \$1) x"))
		  . qq{',
	'{22023}', false, tap.lid(:vlead::int), :vt::text);
\\else
} . rec_cms('select_default_cms', 'tap.lid(:vlead::int)') . qq{;
\\endif
}, 20 ];

	# a deep-scan run: begin, maybe store a section, finish (with the run
	# token, an outcome and an error where leadstore has them)
	{
		my $err_ok = $m->{mapped} || $f->{ref_error_column};
		my $finish;
		if ($f->{run_token})
		{
			my $err = $err_ok ? q{CASE WHEN :oc::int = 2 THEN 'boom' END} : 'NULL';
			$finish = qq{SELECT tap.attempt('finish_deep_scan',
	'WITH r AS (SELECT * FROM leadstore.finish_deep_scan(\$1, started_at => \$2::timestamptz, outcome => \$3, error => \$4))
	 INSERT INTO tap.lead_calls (xid, fn, lead_id, changed, status)
	 SELECT pg_current_xact_id(), ''finish_deep_scan'', r.lead_id, r.transitioned, r.status FROM r',
	'{55000}', false, tap.lid(:lead::int),
	CASE :tk::int WHEN 0 THEN NULL WHEN 1 THEN :tok::text
		ELSE date_trunc('milliseconds', :tok::timestamptz)::text END,
	CASE :oc::int WHEN 1 THEN 'completed' WHEN 2 THEN 'failed' END,
	$err);
};
		}
		else
		{
			$finish = q{SELECT tap.attempt('finish_deep_scan',
	'WITH r AS (SELECT * FROM leadstore.finish_deep_scan($1))
	 INSERT INTO tap.lead_calls (xid, fn, lead_id, changed, status)
	 SELECT pg_current_xact_id(), ''finish_deep_scan'', r.lead_id, r.transitioned, r.status FROM r',
	'{55000}', false, tap.lid(:lead::int));
};
		}
		push @s, [
			'deep_scan', $pick . q{\set lead random(1, :ds_hi)
\set stale random(0, 50)
\set tk random(0, 2)
\set oc random(0, 2)
\set st random(0, 1)
WITH r AS (SELECT * FROM leadstore.begin_deep_scan(tap.lid(:lead::int),
						stale_after => :stale::int * interval '1 millisecond')),
i AS (INSERT INTO tap.lead_calls (xid, fn, lead_id, changed, status, stale)
	  SELECT pg_current_xact_id(), 'begin_deep_scan', r.lead_id, r.transitioned, r.status,
			 :stale::int * interval '1 millisecond' FROM r)
SELECT started_at AS tok, transitioned::int AS tr FROM r \gset
\if :st = 1
} . $nextval . store_section_sql() . q{\endif
} . $finish, 10 ];
	}

	# rollbacks: a store rolled back; a store undone by ROLLBACK TO SAVEPOINT
	# and another one kept; a store whose (sub)transaction then fails
	push @s, [
		'rollback', $pick . q{\set how random(0, 2)
\if :how = 0
BEGIN;
} . $nextval . store_section_sql() . q{ROLLBACK;
\elif :how = 1
BEGIN;
SAVEPOINT a;
} . $nextval . store_section_sql() . q{ROLLBACK TO SAVEPOINT a;
} . $nextval . store_section_sql() . q{COMMIT;
\else
SELECT tap.attempt('store then fail', 'SELECT tap.store_then_fail($1, $2)',
	'{TAP01}', true, tap.lid(:lead::int), tap.sid(:sec::int));
\endif
}, 5 ] unless $set eq 'crash';

	# designed failures: bad input must raise its SQLSTATE and write nothing
	if ($set eq 'load')
	{
		my @bad = (
			[ 'confidence over 100',
			  q{SELECT leadstore.store_section_result($1, 's1', '{"call": -1}', confidence => 101)},
			  '22023' ],
			[ 'empty section_id',
			  q{SELECT leadstore.store_section_result($1, '', '{"call": -1}')},
			  '22023' ],
			[ 'missing lead',
			  q{SELECT leadstore.store_section_result('no-such-lead', 's1', '{"call": -1}')},
			  'P0002' ],
			[ 'chunk count differs from embeddings',
			  q{SELECT leadstore.store_section_result($1, 's2', '{"call": -1}', chunks => tap.chunks(-1, 3), embeddings_packed => (SELECT packed FROM tap.emb WHERE k = 3))},
			  '22023' ],
			[ 'NaN in an embedding',
			  q{SELECT leadstore.store_section_result($1, 's3', '{"call": -1}', chunks => '{a}', embeddings => '{1, NaN}')},
			  '22023' ],
			[ 'both embedding forms',
			  q{SELECT leadstore.store_section_result($1, 's4', '{"call": -1}', chunks => '{a}', embeddings => '{1, 2}', embeddings_packed => '\x0000803f0000803f')},
			  '22023' ],
			[ 'not a CMS',
			  q{SELECT leadstore.select_cms($1, $2)}, '22023', 'fw' ],
			[ 'lower-case cms is not a CMS',
			  q{SELECT leadstore.select_cms($1, $2)}, '22023', 'lc' ],
			[ 'CMS of another business unit',
			  q{SELECT leadstore.select_cms($1, $2)}, '22023', 'other' ],
			[ 'missing technology',
			  q{SELECT leadstore.select_cms($1, 'no-such-tech')}, 'P0002' ],
			[ 'finish a missing lead',
			  q{SELECT leadstore.finish_deep_scan('no-such-lead')}, 'P0002' ],
		);
		if ($f->{store_chunks})
		{
			push @bad,
			  [ 'store_chunks empty agent_name',
				q{SELECT leadstore.store_chunks(NULL, '', '{a}', '{1}', lead_id => $1)},
				'22023' ],
			  [ 'store_chunks rfp differs from the lead rfp',
				q{SELECT leadstore.store_chunks('R-none', 'agent-1', '{a}', '{1}', lead_id => $1)},
				'22023' ],
			  [ 'store_chunks without rfp and lead',
				q{SELECT leadstore.store_chunks(NULL, 'agent-1', '{a}', '{1}')},
				'22004' ];
		}
		if ($f->{run_token})
		{
			push @bad,
			  [ 'finish with an unknown outcome',
				q{SELECT leadstore.finish_deep_scan($1, outcome => 'bogus')},
				'22023' ],
			  [ 'finish with a token of no run',
				q{SELECT leadstore.finish_deep_scan($1, started_at => '2000-01-01 00:00:00+00')},
				'55000' ];
			push @bad,
			  [ 'error text without a deep_scan_error column',
				q{SELECT leadstore.finish_deep_scan($1, outcome => 'failed', error => 'x')},
				'42703' ]
			  if !$m->{mapped} && !$f->{ref_error_column};
		}
		my $t = "\\set lead random(9, :nleads)\n\\set b random(1, "
		  . scalar(@bad) . ")\n";
		for my $i (0 .. $#bad)
		{
			my ($label, $call, $state, $tk) = @{ $bad[$i] };
			my $a2 =
				!defined $tk ? 'NULL'
			  : $tk eq 'other' ? 'tap.other_cms(:lead::int)'
			  : "tap.tech_of(:lead::int, '$tk')";
			(my $lit = $call) =~ s/'/''/g;
			$t .= ($i == 0 ? '\\if' : '\\elif') . " :b = " . ($i + 1) . "\n";
			$t .= "SELECT tap.attempt('$label', '$lit', '{$state}', true, tap.lid(:lead::int), $a2);\n";
		}
		$t .= "\\endif\n";
		push @s, [ 'designed_failures', $t, 5 ];
	}

	# admin changes that race the CMS calls (volatile leads and
	# technologies only): a lead moves to another business unit and loses
	# its selection; a technology moves or changes category, but only while
	# no lead selects it (one that none selects is picked, then checked again
	# under its row lock, in a new snapshot).
	# The row lock is FOR NO KEY UPDATE, what a plain UPDATE of the
	# technology takes: it waits for select_cms's FOR SHARE, but not for the
	# FOR KEY SHARE of the foreign key from leads.selected_cms_id, so a
	# select_cms without its own technology lock is caught.
	push @s, [
		'admin', qq{\\set vlead random(1, 8)
\\set v random(1, 6)
\\set b random(1, 3)
\\set c random(0, 1)
\\set op random(0, 1)
\\if :op = 0
UPDATE $leads SET business_unit_id = tap.bu(:b::int), selected_cms_id = NULL
WHERE id = tap.lid(:vlead::int);
\\else
SELECT coalesce((SELECT t.id FROM $tech t WHERE t.id LIKE 'V%'
				  AND NOT EXISTS (SELECT 1 FROM $leads l WHERE l.selected_cms_id = t.id)
				  ORDER BY random() LIMIT 1), tap.vtech(:v::int)) AS vt \\gset
BEGIN;
SELECT id FROM $tech WHERE id = :vt::text FOR NO KEY UPDATE;
UPDATE $tech SET business_unit_id = tap.bu(:b::int),
	category = CASE WHEN :c::int = 0 THEN 'CMS' ELSE 'Framework' END
WHERE id = :vt::text
  AND NOT EXISTS (SELECT 1 FROM $leads WHERE selected_cms_id = :vt::text);
COMMIT;
\\endif
}, 3 ] unless $set eq 'crash';

	# contention: only the lead-locking calls, on a few leads, so that two
	# calls on one lead overlap often (a lock that is too weak shows fast)
	# Transactions that hold their locks a little after the call (as an
	# application's transaction doing more work would): a concurrent call or
	# admin change that should wait for them, but does not, gets its chance.
	my $hold = "SELECT pg_sleep(0.005);\n";
	push @s,
	  [ 'section_txn',
		$pick . "BEGIN;\n" . $nextval . store_section_sql() . $hold . "COMMIT;\n",
		0 ];
	push @s,
	  [ 'chunks_txn',
		$pick . "BEGIN;\n" . $nextval . store_chunks_sql() . $hold . "COMMIT;\n",
		0 ]
	  if $f->{store_chunks};
	# (half of them select a volatile technology, the others free one)
	push @s,
	  [ 'cms_txn',
		"\\set vlead random(1, 8)\n\\set op random(0, 1)\n\\if :op = 0\nBEGIN;\n"
		  . $vol_cms_of->(q{ AND t.id LIKE 'V%'})
		  . $hold . "COMMIT;\n\\else\n"
		  . rec_cms('clear_cms_selection', 'tap.lid(:vlead::int)') . ";\n\\endif\n",
		0 ];

	# contention: the calls that serialize on a lead or a key, on a few
	# leads and keys (ls_pgbench_start's ld_hi, sec_hi, ag_hi, cms_hi,
	# ds_hi), so that calls on one lead or key overlap all the time
	my %w =
	  $set eq 'contention'
	  ? (cms => 4, deep_scan => 3, admin => 3, section_txn => 2,
		chunks_txn => 3, cms_txn => 3)
	  : map { $_->[0] => $_->[2] } @s;
	@s = map { [ $_->[0], $_->[1], $w{ $_->[0] } ] } grep { $w{ $_->[0] } } @s;
	return \@s;
}

# ls_pgbench_start(node, db, tag, scripts, clients => n, seconds => s):
# pgbench in the background; its output goes to files under tmp_check.
sub ls_pgbench_start
{
	my ($node, $db, $tag, $scripts, %o) = @_;
	my $clients = $o{clients} || 4;
	my $secs = $o{seconds} || 10;
	# ranges the scripts pick from: leads (ld_hi), sections (sec_hi),
	# agents (ag_hi), CMS leads 9..cms_hi, deep-scan leads 1..ds_hi
	my %hi = (ld_hi => $NLEADS, sec_hi => $NSECTIONS, ag_hi => $NAGENTS,
		cms_hi => 24, ds_hi => 16);
	my $dir = "$PostgreSQL::Test::Utils::tmp_check/pgbench-$tag";
	mkdir $dir;
	my @files;
	for my $s (@$scripts)
	{
		my ($name, $text, $w) = @$s;
		open my $fh, '>', "$dir/$name.sql" or die "$dir/$name.sql: $!";
		print $fh $text;
		close $fh;
		push @files, '-f', "$dir/$name.sql\@$w";
	}
	my @cmd = (
		$node->installed_command('pgbench'), '-n', '-M', 'extended',
		'-c', $clients, '-j', ($clients > 1 ? 2 : 1),
		'-T', $secs, '--failures-detailed',
		'-h', $node->host, '-p', $node->port,
		'-D', "nleads=$NLEADS",
		(map { ('-D', "$_=" . ($o{$_} || $hi{$_})) } sort keys %hi),
		@files, $db);
	my $out = "$dir/stdout";
	my $err = "$dir/stderr";
	my $h = IPC::Run::start(\@cmd, '<', \undef, '>', $out, '2>', $err,
		IPC::Run::timeout($secs + 120));
	return { h => $h, out => $out, err => $err, tag => $tag };
}

# ls_pgbench_finish(run, expect_clean => 1): waits; returns
# { ok, out, err, failed, deadlocks, aborted }.
sub ls_pgbench_finish
{
	my ($run, %o) = @_;
	my $ok = eval { $run->{h}->finish; 1 };
	my $why = $@;
	if (!$ok)
	{
		eval { $run->{h}->kill_kill; };
	}
	my $out = -e $run->{out} ? slurp_file($run->{out}) : '';
	my $err = -e $run->{err} ? slurp_file($run->{err}) : '';
	$err .= "\n$why" if !$ok;
	my %r = (
		finished => $ok,
		exit => $ok ? $run->{h}->result(0) : -1,
		out => $out,
		err => $err);
	($r{xacts}) = $out =~ /number of transactions actually processed: (\d+)/;
	($r{failed}) = $out =~ /number of failed transactions: (\d+)/;
	($r{deadlocks}) = $out =~ /number of deadlock failures: (\d+)/;
	($r{serialization}) = $out =~ /number of serialization failures: (\d+)/;
	$r{aborted} = () = $err =~ /aborted in command/g;
	$r{$_} //= 0 for qw(xacts failed deadlocks serialization);
	return \%r;
}

1;
