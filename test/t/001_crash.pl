# 001_crash.pl -- crashes in the middle of leadstore calls.
#
# Each round starts pgbench clients on the reference model (and on the
# application-shaped mapped schema when leadstore has table mapping) that
# store 20-chunk sections, mostly with packed embeddings, some inside
# explicit multi-statement transactions, plus store_chunks, CMS and
# deep-scan calls.  Then, alternately:
#	* kill -9 of a backend that is inside store_section_result (found by
#	  its query in pg_stat_activity); the postmaster reinitializes;
#	* pg_ctl stop -m immediate, then start.
# Twenty rounds (ten of each) by default.  After crash recovery: the
# invariants hold (no partial or mixed write, pg_amcheck clean) and every
# call committed before the crash is still there.

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use LeadstoreTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $rounds = $ENV{LEADSTORE_TAP_CRASH_ROUNDS} || 20;
ls_budget(60 + 10 * $rounds);

my $node = ls_new_node('crash');
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

sub committed_calls
{
	my ($db) = @_;
	return $node->safe_psql($db, 'SELECT count(*) FROM tap.calls',
		timeout => 60);
}

my $kills = 0;
for my $round (1 .. $rounds)
{
	my $how = $round % 2 ? 'kill -9 of a backend in store_section_result'
	  : 'immediate shutdown';
	my $log_offset = -s $node->logfile;

	my %before;
	$before{ $_->[0] } = committed_calls($_->[0]) for @models;

	my @runs;
	for my $mdl (@models)
	{
		my ($db, $m) = @$mdl;
		push @runs,
		  ls_pgbench_start($node, $db, "crash-$round-$db",
			ls_scripts(model => $m, features => $f, set => 'crash'),
			clients => 4, seconds => 60);
	}

	# let the clients get going: some calls committed on every model
	for my $mdl (@models)
	{
		my $db = $mdl->[0];
		$node->poll_query_until($db,
			"SELECT count(*) > $before{$db} + 10 FROM tap.calls")
		  or die "round $round: no progress on $db";
	}

	# what is committed now must survive the crash
	my %acked;
	$acked{ $_->[0] } = committed_calls($_->[0]) for @models;

	if ($round % 2)
	{
		my $pid = '';
		for my $try (1 .. 300)
		{
			$pid = $node->safe_psql(
				'postgres', q{
SELECT pid FROM pg_stat_activity
WHERE state = 'active' AND backend_type = 'client backend'
  AND query LIKE '%leadstore.store_section_result(%'
  AND pid <> pg_backend_pid()
ORDER BY random() LIMIT 1});
			last if $pid ne '';
			usleep(10_000);
		}
		ok($pid ne '', "round $round: found a backend inside store_section_result");
		if ($pid ne '')
		{
			kill 'KILL', $pid;
			$kills++;
		}
		# the postmaster notices, ends every backend and reinitializes; a
		# connection may still succeed before it has noticed, so wait for
		# its log line first
		my $seen = 0;
		for my $try (1 .. 600)
		{
			$seen = ls_count_log($node,
				qr/\(PID $pid\) was terminated by signal 9/, $log_offset);
			last if $seen;
			usleep(100_000);
		}
		ok($seen, "round $round: postmaster saw backend $pid killed");
		$node->poll_query_until('postgres', 'SELECT 1', '1')
		  or die "round $round: server did not come back after the kill";
	}
	else
	{
		$node->stop('immediate');
		$node->start;
	}

	# the clients lost their connections and end
	ls_pgbench_finish($_) for @runs;

	for my $mdl (@models)
	{
		my ($db, $m) = @$mdl;
		my $after = committed_calls($db);
		cmp_ok($after, '>=', $acked{$db},
			"round $round ($how), $db: the $acked{$db} calls committed before the crash survive");
		ls_check_invariants($node, $db, "round $round ($how), $db",
			model => $m);
	}
}

cmp_ok($kills, '>=', int($rounds / 2), "$kills backends killed inside store_section_result");

for my $mdl (@models)
{
	my $db = $mdl->[0];
	note("$db: "
		  . $node->safe_psql($db,
			"SELECT count(*) || ' calls committed over $rounds crash rounds' FROM tap.calls"));
}

$node->stop;
done_testing();
