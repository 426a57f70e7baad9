
# 002_load.pl -- 16 pgbench clients per data model for a bounded time, on the
# reference data model and, at the same time, on an application-shaped
# schema reached through leadstore.table_names / column_names.  The clients
# mix every function, designed failures (bad input must raise its SQLSTATE
# and write nothing), rollbacks (ROLLBACK, ROLLBACK TO SAVEPOINT, a store
# whose transaction then fails) and admin changes that race the CMS
# selection.  Afterwards: no client aborted, no deadlock (40P01) anywhere,
# every designed failure was seen, and the invariants hold on both models.

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
ls_budget(120 + 2 * $seconds);

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

my $log_offset = -s $node->logfile;
my %runs;
for my $mdl (@models)
{
	my ($db, $m) = @$mdl;
	my $scripts = ls_scripts(model => $m, features => $f, set => 'load');
	$runs{$db} = ls_pgbench_start($node, $db, "load-$db", $scripts,
		clients => $clients, seconds => $seconds);
}

for my $mdl (@models)
{
	my ($db, $m) = @$mdl;
	my $r = ls_pgbench_finish($runs{$db});
	my $clean = $r->{finished} && $r->{exit} == 0 && $r->{aborted} == 0
	  && $r->{failed} == 0;
	ok($clean, "$db: $clients clients for $seconds s, none aborted, no failed transaction ($r->{xacts} transactions)");
	diag("pgbench on $db:\n$r->{out}\n" . substr($r->{err}, 0, 4000)) unless $clean;
	is($r->{deadlocks}, 0, "$db: pgbench saw no deadlock");

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

	ls_check_invariants($node, $db, "$db after load", model => $m);
}

my @deadlocks = ls_count_log($node, qr/ 40P01 /, $log_offset);
is(scalar(@deadlocks), 0, 'server log: no deadlock (40P01)');
diag(join("\n", @deadlocks[ 0 .. ($#deadlocks < 9 ? $#deadlocks : 9) ])) if @deadlocks;

$node->stop;
done_testing();
