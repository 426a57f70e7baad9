# 003_standby.pl -- promote a streaming standby in the middle of the load.
#
# A primary with a streaming standby takes pgbench load (every function) and
# four psql clients that each commit store_section_result and store_chunks
# calls on keys of their own and print, after each COMMIT returns, the call
# id and pg_current_wal_insert_lsn().  The standby is promoted mid-load.  On
# the promoted node:
#	* every call acknowledged at an LSN up to the promotion's last replayed
#	  LSN is there (its tap.calls row, and its key holds that call or a later
#	  one of the same client);
#	* the invariants hold (nothing partial from the calls cut off), pg_amcheck
#	  is clean;
#	* leadstore keeps working there (a short load, invariants again).

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use LeadstoreTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $seconds = $ENV{LEADSTORE_TAP_STANDBY_SECONDS} || 8;
ls_budget(150 + 2 * $seconds);

my $primary = ls_new_node('primary', allows_streaming => 1);
$primary->start;
ls_setup_db($primary, 'ref', model => \%LS_REF);
my $f = ls_features($primary, 'ref');
ls_require_features($f);
my @models = ([ 'ref', \%LS_REF ]);
if ($f->{mapping})
{
	ls_setup_db($primary, 'app', model => \%LS_APP);
	push @models, [ 'app', \%LS_APP ];
}

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

# pgbench: the mixed load on every model
my @runs;
for my $mdl (@models)
{
	my ($db, $m) = @$mdl;
	push @runs,
	  ls_pgbench_start($primary, $db, "standby-$db",
		ls_scripts(model => $m, features => $f, set => 'standby'),
		clients => 4, seconds => 3 * $seconds);
}

# psql clients that report what they saw commit.  Client c stores sections
# 'a<c>-<j>' and store_chunks agents 'a<c>-<j>' only, so for every key its
# calls commit in the order of their ids.
my $nack = 4;
my @acks;
my $dir = $PostgreSQL::Test::Utils::tmp_check;
for my $c (1 .. $nack)
{
	my $script = '';
	for my $k (1 .. 4000)
	{
		my $id = $c * 1_000_000 + $k;
		my $lead = 1 + int(rand($LeadstoreTAP::NLEADS));
		my $key = "a$c-" . (1 + int(rand(3)));
		if ($f->{store_chunks} && $k % 3 == 0)
		{
			$script .= qq{BEGIN;
WITH e AS (SELECT * FROM tap.emb WHERE k = 3),
r AS (SELECT r0.* FROM e, leadstore.store_chunks(rfp_id => NULL, agent_name => '$key',
		chunks => tap.chunks($id, e.n), lead_id => 'L$lead',
		metadata => jsonb_build_object('call', $id, 'n', e.n),
		embeddings_packed => e.packed) r0)
INSERT INTO tap.calls (call_id, kind, lead_id, rfp_id, agent_name, n, written, replaced)
SELECT $id, 'chunks', r.lead_id, r.rfp_id, '$key', e.n, r.chunks_written, r.chunks_replaced FROM r, e;
COMMIT;
SELECT 'ack', $id, 'chunks', 'L$lead', '$key', pg_current_wal_insert_lsn();
};
		}
		else
		{
			$script .= qq{BEGIN;
WITH e AS (SELECT * FROM tap.emb WHERE k = 3),
r AS (SELECT r0.* FROM e, leadstore.store_section_result(lead_id => 'L$lead', section_id => '$key',
		content => jsonb_build_object('call', $id, 'n', e.n),
		chunks => tap.chunks($id, e.n), embeddings_packed => e.packed) r0)
INSERT INTO tap.calls (call_id, kind, lead_id, section_id, rfp_id, n, written, replaced)
SELECT $id, 'section', 'L$lead', '$key', r.rfp_id, e.n, r.chunks_written, r.chunks_replaced FROM r, e;
COMMIT;
SELECT 'ack', $id, 'section', 'L$lead', '$key', pg_current_wal_insert_lsn();
};
		}
	}
	my $file = "$dir/ack-$c.sql";
	open my $fh, '>', $file or die "$file: $!";
	print $fh $script;
	close $fh;
	my $out = "$dir/ack-$c.out";
	my $h = IPC::Run::start(
		[
			$primary->installed_command('psql'), '-X', '-q', '-A', '-t',
			'-v', 'ON_ERROR_STOP=1', '-h', $primary->host, '-p',
			$primary->port, '-d', 'ref', '-f', $file
		],
		'<', \undef, '>', $out, '2>', "$dir/ack-$c.err",
		IPC::Run::timeout(3 * $seconds + 120));
	push @acks, { h => $h, out => $out };
}

sleep($seconds);

# promote mid-load; the primary keeps running until we have the LSN
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'standby did not leave recovery';
my $replayed = $standby->safe_psql('postgres', 'SELECT pg_last_wal_replay_lsn()');
note("promoted; last replayed LSN $replayed");

$primary->stop('immediate');
ls_pgbench_finish($_) for @runs;
for my $a (@acks)
{
	eval { $a->{h}->finish; 1 } or eval { $a->{h}->kill_kill };
}

# every acknowledged call up to the replayed LSN is on the promoted node
my @rows;
for my $a (@acks)
{
	for my $line (split /\n/, slurp_file($a->{out}))
	{
		my ($tag, $id, $kind, $lead, $key, $lsn) = split /\|/, $line;
		next unless defined $lsn && $tag eq 'ack';
		push @rows, "($id, '$kind', '$lead', '$key', '$lsn'::pg_lsn)";
	}
}
note(scalar(@rows) . ' calls acknowledged on the primary');
my $acked = 'acked(id, kind, lead, key, lsn) AS (VALUES '
  . (@rows ? join(",\n", @rows) : "(0, '', '', '', '0/0'::pg_lsn)")
  . "), upto AS (SELECT * FROM acked WHERE lsn <= '$replayed'::pg_lsn)";

my $n_upto = $standby->safe_psql('ref', "WITH $acked SELECT count(*) FROM upto");
cmp_ok($n_upto, '>', 20, "$n_upto acknowledged calls at or before the promotion LSN $replayed");

my $missing = $standby->safe_psql(
	'ref', qq{WITH $acked
SELECT string_agg(format('call %s (%s %s %s) acknowledged at %s', id, kind, lead, key, lsn), E'\\n')
FROM (SELECT * FROM upto a
	  WHERE NOT EXISTS (SELECT 1 FROM tap.calls c WHERE c.call_id = a.id)
	  ORDER BY id LIMIT 20) x});
is($missing, '', 'every call acknowledged before the promotion LSN is on the promoted node');

my $stale = $standby->safe_psql(
	'ref', qq{WITH $acked,
last AS (SELECT kind, lead, key, max(id) AS id FROM upto GROUP BY 1, 2, 3),
found AS (
	SELECT l.*, (SELECT (d.content ->> 'call')::bigint FROM public.lead_section_data d
				 WHERE d.lead_id = l.lead AND d.section_id = l.key) AS holder
	FROM last l WHERE kind = 'section'
	UNION ALL
	SELECT l.*, (SELECT max((e.metadata ->> 'call')::bigint) FROM public.rfp_embeddings e
				 WHERE e.lead_id = l.lead AND e.agent_name = l.key AND e.section_id IS NULL)
	FROM last l WHERE kind = 'chunks')
SELECT string_agg(format('%s %s %s: last acknowledged call %s, promoted node holds %s',
						 kind, lead, key, id, coalesce(holder::text, 'nothing')), E'\\n')
FROM (SELECT * FROM found WHERE holder IS NULL OR holder < id ORDER BY id LIMIT 20) x});
is($stale, '', 'every key holds its last acknowledged call, or a later one');

for my $mdl (@models)
{
	my ($db, $m) = @$mdl;
	ls_check_invariants($standby, $db, "promoted standby, $db", model => $m);
}

# the promoted node takes leadstore calls
for my $mdl (@models)
{
	my ($db, $m) = @$mdl;
	my $r = ls_pgbench_finish(
		ls_pgbench_start($standby, $db, "promoted-$db",
			ls_scripts(model => $m, features => $f, set => 'load'),
			clients => 4, seconds => 3));
	ok($r->{finished} && $r->{exit} == 0 && $r->{failed} == 0,
		"promoted node, $db: load runs clean ($r->{xacts} transactions)");
	diag("$r->{out}\n" . substr($r->{err}, 0, 4000))
	  unless $r->{finished} && $r->{exit} == 0 && $r->{failed} == 0;
	ls_check_invariants($standby, $db, "promoted standby after more load, $db",
		model => $m);
}

$standby->stop;
done_testing();
