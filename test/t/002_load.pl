# 002_load.pl -- 16 pgbench clients per data model for a bounded time, on the
# reference data model and, at the same time, on an application-shaped
# schema reached through leadstore.table_names / column_names.  The clients
# mix every function, designed failures (bad input must raise its SQLSTATE
# and write nothing), rollbacks (ROLLBACK, ROLLBACK TO SAVEPOINT, a store
# whose transaction then fails) and admin changes that race the CMS
# selection.  A second, short phase runs only the calls that serialize (CMS,
# deep scan, one section, one store_chunks key) on a few leads and keys, some
# in transactions that hold their locks a few milliseconds after the call,
# so that calls on one lead or key overlap all the time.  Before the load,
# one deterministic check: a transaction that began before a run started
# finishes it, and completed_at still does not precede started_at.
# Afterwards: no client aborted, no deadlock (40P01) anywhere, every designed
# failure was seen, and the invariants hold on both models (among them: each
# CMS and deep-scan call decided on the value it overwrote).

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use LeadstoreTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $seconds = $ENV{LEADSTORE_TAP_LOAD_SECONDS} || 20;
my $clients = 16;
ls_budget(150 + 2 * $seconds);

my $node = ls_new_node('load');
$node->start;

ls_setup_db($node, 'ref', model => \%LS_REF);
my $f = ls_features($node, 'ref');
ls_require_features($f);

my @models = ([ 'ref', \%LS_REF ]);
if ($f->{mapping})
{
	ls_setup_db($node, 'app', model => \%LS_APP);
	push @models, [ 'app', \%LS_APP ];
}

# The load's deep-scan invariant, made deterministic: a transaction that
# began before a run started (its now() is earlier) finishes that run;
# completed_at must still not precede started_at.
{
	$node->safe_psql('ref',
		q{INSERT INTO leads (id, rfp_id, business_unit_id, customer_name)
		  VALUES ('L-order', 'R1', 'B1', 'ordering')});
	my $early = $node->background_psql('ref', on_error_stop => 1);
	$early->query_safe('BEGIN; SELECT now();');
	$node->safe_psql('ref', q{SELECT pg_sleep(0.01); SELECT leadstore.begin_deep_scan('L-order')});
	my $run = $early->query_safe(
		q{SELECT status || ' ' || (completed_at >= started_at)::text
		  FROM leadstore.finish_deep_scan('L-order'); COMMIT;});
	$early->quit;
	chomp $run;
	# (reported here; the load's invariants below do not see this lead)
	$node->safe_psql('ref', q{DELETE FROM leads WHERE id = 'L-order'});
	is($run, 'failed true',
		'finish_deep_scan from a transaction older than the run: completed_at >= started_at');
}

my $log_offset = -s $node->logfile;

# run_phase(set, seconds, pgbench options): pgbench on every model at once; no
# client may abort and no transaction fail (a deadlock, a lock_timeout, a
# statement_timeout, an unexpected error)
sub run_phase
{
	my ($set, $secs, %o) = @_;
	my %runs;
	for my $mdl (@models)
	{
		my ($db, $m) = @$mdl;
		$runs{$db} = ls_pgbench_start($node, $db, "$set-$db",
			ls_scripts(model => $m, features => $f, set => $set),
			clients => $clients, seconds => $secs, %o);
	}
	for my $mdl (@models)
	{
		my $db = $mdl->[0];
		my $r = ls_pgbench_finish($runs{$db});
		my $clean = $r->{finished} && $r->{exit} == 0 && $r->{aborted} == 0
		  && $r->{failed} == 0;
		ok($clean, "$set, $db: $clients clients for $secs s, none aborted, no failed transaction ($r->{xacts} transactions)");
		diag("pgbench on $db:\n$r->{out}\n" . substr($r->{err}, 0, 4000))
		  unless $clean;
		is($r->{deadlocks}, 0, "$set, $db: pgbench saw no deadlock");
	}
	return;
}

# every function, designed failures, rollbacks, admin changes
run_phase('load', $seconds);
# then only the lead-locking calls, on a few leads
run_phase('contention', 6, ld_hi => 4, sec_hi => 2, ag_hi => 1, cms_hi => 12, ds_hi => 4);

for my $mdl (@models)
{
	my ($db, $m) = @$mdl;
	my $counts = $node->safe_psql(
		$db, q{
SELECT (SELECT count(*) FROM tap.calls WHERE kind = 'section'),
	   (SELECT count(*) FROM tap.calls WHERE kind = 'chunks'),
	   (SELECT count(*) FROM tap.outcomes WHERE sqlstate <> 'ok'),
	   (SELECT count(DISTINCT label) FROM tap.outcomes WHERE label NOT LIKE '%volatile%' AND label NOT LIKE '%nowait%' AND label <> 'finish_deep_scan')
});
	my ($sections, $chunks, $errors, $designed) = split /\|/, $counts;
	note("$db: $sections section calls, $chunks store_chunks calls, $errors expected errors, $designed kinds of designed failure");
	cmp_ok($sections, '>', 100, "$db: section stores committed");
	cmp_ok($chunks, '>', 20, "$db: store_chunks calls committed") if $f->{store_chunks};
	cmp_ok($designed, '>=', 10, "$db: designed failures raised their SQLSTATE");

	# the lock checks of the invariants are not vacuous: every CMS and
	# deep-scan function committed calls that changed something
	my $fns = $node->safe_psql(
		$db, q{
SELECT string_agg(fn || '=' || n, ' ' ORDER BY fn)
FROM (SELECT fn, count(*) FILTER (WHERE changed) AS n FROM tap.lead_calls GROUP BY fn) x});
	note("$db: calls that changed the lead: $fns");
	my %n = map { split /=/ } split / /, $fns;
	my @idle = grep { !($n{$_} || 0) } qw(select_cms select_cms_if
	  clear_cms_selection select_default_cms begin_deep_scan finish_deep_scan);
	is("@idle", '', "$db: every CMS and deep-scan function changed leads");

	ls_check_invariants($node, $db, "$db after load", model => $m);
}

my @deadlocks = ls_count_log($node, qr/ 40P01 /, $log_offset);
is(scalar(@deadlocks), 0, 'server log: no deadlock (40P01)');
diag(join("\n", @deadlocks[ 0 .. ($#deadlocks < 9 ? $#deadlocks : 9) ])) if @deadlocks;

$node->stop;
done_testing();
