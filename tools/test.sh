#!/usr/bin/env bash
# tools/test.sh -- the whole test suite, from a fresh Debian 12 machine (as
# root) to one closing line "N passed, N failed".
#
#	1. installs what is missing (PostgreSQL 15, server headers, pgTAP,
#	   pg_prove, Node.js for the client suite),
#	2. builds leadstore with warnings as errors and installs it,
#	3. starts a throwaway cluster as the "leadstore" system user on a unix
#	   socket and 127.0.0.1:$LS_TEST_PORT,
#	4. runs every suite: pg_regress (make installcheck), pgTAP (pg_prove),
#	   isolation (pg_isolation_regress; once more with row-level security
#	   enabled, so that the statement path runs), the Drizzle/node-postgres client
#	   suite (node --test), a one-transaction smoke run of each benchmark
#	   script and a pgindent check of src/, counting each test case,
#	5. stops the cluster and prints the counts.
#
# Exit status 0 only when nothing failed.  Logs: .test-output/.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source tools/lib.sh

LS_TEST_PORT=${LS_TEST_PORT:-54329}
out=$top/.test-output
rm -rf "$out"
mkdir -p "$out"

passed=0
failed=0

# count SUITE PASSED FAILED: add a suite's figures to the totals
count()
{
	printf '%-15s %4d passed, %d failed\n' "$1:" "$2" "$3"
	passed=$((passed + $2))
	failed=$((failed + $3))
}

# pg_regress_counts LOG: "P F" from pg_regress's summary lines
pg_regress_counts()
{
	local ok notok
	ok=$(grep -cE ' \.\.\. ok|^ok ' "$1" || true)
	notok=$(grep -cE ' \.\.\. FAILED|^not ok |\.\.\. failed' "$1" || true)
	echo "$ok $notok"
}

set -e
ls_install_deps with-node
PG_CFLAGS="-Wall -Wextra -Wno-unused-parameter -Werror" ls_build_install
ls_cluster_start test "$LS_TEST_PORT" fsync=off full_page_writes=off \
	max_connections=60 max_prepared_transactions=0
trap 'ls_cluster_stop test' EXIT
set +e

# --- pg_regress: sql/*.sql against expected/*.out -----------------------
ls_log "pg_regress (make installcheck)"
make -s PG_CONFIG="$LS_PG_CONFIG" installcheck >"$out/pg_regress.log" 2>&1
cat "$out/pg_regress.log" | grep -E '\.\.\. |^(not )?ok ' >&2
read -r p f <<<"$(pg_regress_counts "$out/pg_regress.log")"
if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; cat "$out/pg_regress.log" >&2; fi
[ -f regression.diffs ] && cp regression.diffs "$out/"
count pg_regress "$p" "$f"

# --- pgTAP: test/pgtap/*.sql with pg_prove ------------------------------
ls_log "pgTAP (pg_prove)"
ls_psql -d postgres -c "CREATE DATABASE leadstore_tap" &&
	ls_psql -d leadstore_tap -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION leadstore" \
		-f sql/leadstore_data_model.sql >"$out/pgtap-setup.log" 2>&1
pg_prove -v -d leadstore_tap test/pgtap/*.sql >"$out/pgtap.log" 2>&1
# every assertion is one test; a file that dies counts one failure more
p=$(grep -cE '^ *ok [0-9]+' "$out/pgtap.log" || true)
f=$(grep -cE '^ *not ok [0-9]+' "$out/pgtap.log" || true)
bad=$(grep -cE '^test/pgtap/.*(Dubious|Bad plan|No plan found|Failed)' "$out/pgtap.log" || true)
grep -E '^test/pgtap|^(Result|Files)' "$out/pgtap.log" >&2
[ "$f" = 0 ] && [ "$bad" -gt 0 ] && f=$bad
count pgTAP "$p" "$f"

# --- isolation: test/isolation/specs/*.spec -----------------------------
ls_log "isolation (pg_isolation_regress)"
specs=$(cd test/isolation/specs && ls *.spec 2>/dev/null | sed 's/\.spec$//')
if [ -n "$specs" ]; then
	ls_psql -d postgres -c "CREATE DATABASE leadstore_isolation" &&
		ls_psql -d leadstore_isolation -c "CREATE EXTENSION leadstore" \
			-f sql/leadstore_data_model.sql >"$out/isolation-setup.log" 2>&1
	"$(dirname "$("$LS_PG_CONFIG" --pgxs)")/../test/isolation/pg_isolation_regress" \
		--bindir="$LS_PGBIN" --inputdir=test/isolation --outputdir="$out/isolation" \
		--use-existing --dbname=leadstore_isolation \
		--host="$PGHOST" --port="$PGPORT" --user=postgres \
		$specs >"$out/isolation.log" 2>&1
	grep -E '\.\.\. |^(not )?ok ' "$out/isolation.log" >&2
	read -r p f <<<"$(pg_regress_counts "$out/isolation.log")"
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; cat "$out/isolation.log" >&2; fi
	count isolation "$p" "$f"

	# The same specs again with row-level security enabled on leads and
	# technologies (the superuser running them bypasses the policies), so
	# that the CMS and deep-scan functions lock and update through their SPI
	# statements instead of src/row_lock.c: both ways must keep every
	# promise.  row_lock_chain toggles RLS itself and runs both already.
	ls_log "isolation, statement path (pg_isolation_regress, RLS enabled)"
	ls_psql -d postgres -c "CREATE DATABASE leadstore_isolation_stmt" &&
		ls_psql -d leadstore_isolation_stmt -c "CREATE EXTENSION leadstore" \
			-f sql/leadstore_data_model.sql \
			-c "ALTER TABLE leads ENABLE ROW LEVEL SECURITY" \
			-c "ALTER TABLE technologies ENABLE ROW LEVEL SECURITY" \
			>"$out/isolation-stmt-setup.log" 2>&1
	"$(dirname "$("$LS_PG_CONFIG" --pgxs)")/../test/isolation/pg_isolation_regress" \
		--bindir="$LS_PGBIN" --inputdir=test/isolation --outputdir="$out/isolation-stmt" \
		--use-existing --dbname=leadstore_isolation_stmt \
		--host="$PGHOST" --port="$PGPORT" --user=postgres \
		$(echo "$specs" | grep -vx row_lock_chain) >"$out/isolation-stmt.log" 2>&1
	grep -E '\.\.\. |^(not )?ok ' "$out/isolation-stmt.log" >&2
	read -r p f <<<"$(pg_regress_counts "$out/isolation-stmt.log")"
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; cat "$out/isolation-stmt.log" >&2; fi
	count isolation-stmt "$p" "$f"
fi

# --- client: clients/drizzle with node --test ---------------------------
if [ -f clients/drizzle/package.json ]; then
	ls_log "client (node --test, Drizzle + node-postgres)"
	ls_psql -d postgres -c "CREATE DATABASE leadstore_client" &&
		ls_psql -d leadstore_client -c "CREATE EXTENSION leadstore" \
			-f sql/leadstore_data_model.sql >"$out/client-setup.log" 2>&1
	(cd clients/drizzle && npm ci --no-audit --no-fund --loglevel=error >"$out/npm.log" 2>&1 &&
		LEADSTORE_TEST_URL="postgresql://postgres@127.0.0.1:$PGPORT/leadstore_client" \
			npm test >"$out/client.log" 2>&1)
	p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$out/client.log" | tail -1)
	f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$out/client.log" | tail -1)
	grep -E '^# (tests|pass|fail)|^not ok' "$out/client.log" >&2
	if [ -z "$p" ]; then p=0; f=1; tail -40 "$out/npm.log" "$out/client.log" >&2; fi
	count client "$p" "${f:-0}"
fi

# --- benchmark scripts: each runs once ----------------------------------
if [ -x bench/run ]; then
	ls_log "benchmark smoke (bench/run --smoke)"
	bench/run --smoke >"$out/bench-smoke.log" 2>&1
	p=$(grep -c '^smoke ok ' "$out/bench-smoke.log" || true)
	f=$(grep -c '^smoke FAILED ' "$out/bench-smoke.log" || true)
	grep -E '^smoke ' "$out/bench-smoke.log" >&2
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; tail -40 "$out/bench-smoke.log" >&2; fi
	count bench-smoke "$p" "$f"
fi

# --- format: src/ is as pgindent leaves it -----------------------------
ls_log "format (tools/pgindent.sh --check)"
if bash tools/pgindent.sh --check >"$out/pgindent.log" 2>&1; then
	count pgindent 1 0
else
	cat "$out/pgindent.log" >&2
	count pgindent 0 1
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
