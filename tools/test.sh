#!/usr/bin/env bash
# tools/test.sh -- the whole test suite on every PostgreSQL major, from a
# fresh Debian 12 machine (as root) to one closing line "N passed, N failed".
#
#	tools/test.sh                   majors 15, 17 and 18 (LS_MAJORS)
#	tools/test.sh --major 15        one major (repeatable) for quick work
#	tools/test.sh --suites S[,S..]  only these suites: build pg_regress
#	                                pgtap isolation client bench tap
#	                                pgvector pgindent repo-checks
#
# For each major:
#	1. PostgreSQL itself: 15 is Debian 12's packages; 17 and 18 are built
#	   from Debian's source packages into a per-machine cache by
#	   tools/pgbuild.sh (minutes when cold, nothing when warm).  A major
#	   whose source cannot be downloaded is reported "skipped: <reason>",
#	   never counted as passed.  pgTAP and pgvector likewise.
#	2. A copy of the work tree for that major (so that builds for
#	   different majors never share objects, and the TAP tests can run as
#	   the unprivileged "leadstore" user, which PostgreSQL::Test::Cluster
#	   needs): built with warnings as errors and installed.
#	3. A throwaway cluster as the "leadstore" system user on a unix socket
#	   and 127.0.0.1:$LS_TEST_PORT.
#	4. Every suite, each under its own timeout so that a hang is a named
#	   failure: pg_regress and the isolation specs (make installcheck),
#	   pgTAP (pg_prove), the Drizzle/node-postgres client suite, a smoke
#	   run of each benchmark script, the TAP tests (test/t, one timeout per
#	   file) and the pgvector tests (sql/pgvector*.sql, outside REGRESS,
#	   only where pgvector is built for that major).
# Once, with the first major's server: tools/repo-checks.sh ("ok NAME" /
# "not ok NAME" lines).  Then, once: the pgindent check of src/.
#
# Prints one line per suite, one summary line per major, and last the
# closing line over all majors.  Exit status 0 only when nothing failed.
# Logs: .test-output/<major>/.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source tools/lib.sh

LS_MAJORS=${LS_MAJORS:-15 17 18}
LS_TEST_PORT=${LS_TEST_PORT:-54329}
suites=all

usage()
{
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 64
}
majors=""
while [ $# -gt 0 ]; do
	case $1 in
		--major) majors="$majors $2"; shift ;;
		--major=*) majors="$majors ${1#--major=}" ;;
		--suites) suites=",$2,"; shift ;;
		--suites=*) suites=",${1#--suites=}," ;;
		-h | --help) usage ;;
		*) echo "tools/test.sh: unknown argument $1" >&2; usage ;;
	esac
	shift
done
[ -n "$majors" ] || majors=$LS_MAJORS

# seconds each suite may take before it is stopped and counted as failed
# (LS_T_<SUITE> to change; about twice what each takes on a busy 2-core
# machine, so that a hang costs minutes, not the whole CI budget)
T_BUILD=${LS_T_BUILD:-5400}   # a cold PostgreSQL build (CI allows 90 minutes)
T_REGRESS=${LS_T_REGRESS:-180}
T_PGTAP=${LS_T_PGTAP:-180}
T_ISOLATION=${LS_T_ISOLATION:-180}
T_CLIENT=${LS_T_CLIENT:-480}
T_BENCH=${LS_T_BENCH:-120}
T_TAP=${LS_T_TAP:-300}        # per test/t file
T_PGVECTOR=${LS_T_PGVECTOR:-120}
T_CHECKS=${LS_T_CHECKS:-300}

out=$top/.test-output
rm -rf "$out"
mkdir -p "$out"

passed=0
failed=0
mpassed=0
mfailed=0
major=""
summary=""
repo_checked=0
t0=$SECONDS

want()
{
	[ "$suites" = all ] || [[ $suites == *",$1,"* ]]
}

# count SUITE PASSED FAILED: add a suite's figures to the totals (and show
# the seconds since the previous line)
count()
{
	printf '[%s] %-12s %4d passed, %d failed (%ds)\n' "${major:-all}" "$1" "$2" "$3" $((SECONDS - t0))
	passed=$((passed + $2))
	failed=$((failed + $3))
	mpassed=$((mpassed + $2))
	mfailed=$((mfailed + $3))
	t0=$SECONDS
}

# note SUITE TEXT: a suite that ran nothing (skipped, none yet), not counted
note()
{
	printf '[%s] %-12s %s\n' "${major:-all}" "$1" "$2"
	t0=$SECONDS
}

# timed SECS LOG CMD...: CMD with its output in LOG, stopped (with every
# process it started in its process group) after SECS seconds; a timeout is
# written into LOG and gives status 124
timed()
{
	local secs=$1 log=$2 rc
	shift 2
	timeout -k 15 "$secs" "$@" >"$log" 2>&1
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "TIMEOUT: stopped after ${secs}s: $*" >>"$log"
		ls_log "timed out after ${secs}s: $*"
		rc=124
	fi
	return $rc
}

# pg_regress_counts LOG: "P F" from pg_regress's per-test lines (15 prints
# "test x ... ok", 16 and later "ok N - x")
pg_regress_counts()
{
	local ok notok
	ok=$(grep -cE ' \.\.\. ok|^ok ' "$1" || true)
	notok=$(grep -cE ' \.\.\. FAILED|^not ok |\.\.\. failed' "$1" || true)
	echo "$ok $notok"
}

# regress_suite NAME SECS LOG MAKE-ARGS...: make installcheck with those
# arguments, counted per test; a run that timed out or counted nothing is one
# failure more
regress_suite()
{
	local name=$1 secs=$2 log=$3 p f rc
	shift 3
	timed "$secs" "$log" make -C "$tree" PG_CONFIG="$LS_PG_CONFIG" installcheck "$@"
	rc=$?
	grep -E '\.\.\. |^(not )?ok ' "$log" >&2
	read -r p f <<<"$(pg_regress_counts "$log")"
	if [ $rc = 124 ] || { [ "$p" = 0 ] && [ "$f" = 0 ]; }; then
		f=$((f + 1))
		tail -30 "$log" >&2
	fi
	[ -f "$tree/regression.diffs" ] && cp "$tree/regression.diffs" "$mout/$name.diffs"
	[ -f "$tree/output_iso/regression.diffs" ] && cp "$tree/output_iso/regression.diffs" "$mout/$name.diffs"
	[ -f "$tree/test/isolation/output/regression.diffs" ] &&
		cp "$tree/test/isolation/output/regression.diffs" "$mout/$name.diffs"
	count "$name" "$p" "$f"
}

# tap_counts LOG: "P F" from TAP output (prove -v, pg_prove -v, node --test):
# each "ok N" passes, each "not ok N" fails (TODO tests are neither); a test
# file that died or broke its plan is one failure more
tap_counts()
{
	local p f bad
	p=$(grep -cE '^ *ok [0-9]+' "$1" || true)
	f=$(grep -E '^ *not ok [0-9]+' "$1" | grep -vc '# TODO' || true)
	bad=$(grep -cE '(Dubious|Bad plan|No plan found|Parse errors|Failed [0-9]+/[0-9]+ subtests|^TIMEOUT)' "$1" || true)
	[ "$f" = 0 ] && f=$bad
	echo "$p $f"
}

# ---------------------------------------------------------------------------
# one major

run_major()
{
	local r p f rc
	major=$1
	mpassed=0
	mfailed=0
	mout=$out/$major
	mkdir -p "$mout"
	ls_use_major "$major"
	ls_log "PostgreSQL $major"

	# --- PostgreSQL, pgTAP and pgvector for this major --------------------
	local server pgtap_status pgvector_status
	server=$(timed "$T_BUILD" "$mout/pgbuild-server.log" bash tools/pgbuild.sh server "$major"; tail -1 "$mout/pgbuild-server.log")
	case $server in
		ok:*) note postgres "${server#ok: }" ;;
		skipped:*)
			note postgres "$server"
			summary="$summary"$'\n'"PostgreSQL $major: skipped: ${server#skipped: PostgreSQL $major: }"
			return 0
			;;
		*)
			tail -30 "$mout/pgbuild-server.log" >&2
			count build 0 1
			summary="$summary"$'\n'"PostgreSQL $major: $mpassed passed, $mfailed failed (PostgreSQL could not be built: $server)"
			return 0
			;;
	esac
	pgtap_status=$(timed 1800 "$mout/pgbuild-pgtap.log" bash tools/pgbuild.sh pgtap "$major"; tail -1 "$mout/pgbuild-pgtap.log")
	pgvector_status=$(timed 1800 "$mout/pgbuild-pgvector.log" bash tools/pgbuild.sh pgvector "$major"; tail -1 "$mout/pgbuild-pgvector.log")

	# --- this major's copy of the tree, built and installed ---------------
	tree=/var/tmp/leadstore-test$major-tree
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -C "$top" --exclude=./.git --exclude=node_modules --exclude=./.test-output \
		--exclude=./results --exclude=./output_iso --exclude=./tmp_check \
		--exclude=./test/isolation/output --exclude=./bench/results \
		--exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - . | tar -C "$tree" -xf -
	chown -R "$LS_OSUSER:" "$tree"
	cd "$tree"
	ls_log "building leadstore for PostgreSQL $major (warnings are errors)"
	if ! timed 600 "$mout/build.log" bash -c 'make -C "$1" -s PG_CONFIG="$2" PG_CFLAGS="-Wall -Wextra -Wno-unused-parameter -Werror" &&
			make -C "$1" -s PG_CONFIG="$2" install' _ "$tree" "$LS_PG_CONFIG"; then
		cat "$mout/build.log" >&2
		count build 0 1
		summary="$summary"$'\n'"PostgreSQL $major: $mpassed passed, $mfailed failed (leadstore did not build)"
		return 0
	fi
	want build && count build 1 0

	if ! ls_cluster_start "test$major" "$LS_TEST_PORT" fsync=off full_page_writes=off \
		max_connections=60 max_prepared_transactions=0 2>"$mout/cluster.log"; then
		cat "$mout/cluster.log" >&2
		count cluster 0 1
		summary="$summary"$'\n'"PostgreSQL $major: $mpassed passed, $mfailed failed (cluster did not start)"
		return 0
	fi
	trap 'ls_cluster_stop "test$major"' EXIT

	# --- pg_regress: sql/*.sql against expected/*.out ---------------------
	if want pg_regress; then
		ls_log "[$major] pg_regress (make installcheck, REGRESS)"
		regress_suite pg_regress "$T_REGRESS" "$mout/pg_regress.log" ISOLATION= TAP_TESTS=
	fi

	# --- isolation: test/isolation/specs through PGXS ISOLATION -----------
	if want isolation; then
		if ls test/isolation/specs/*.spec >/dev/null 2>&1; then
			ls_log "[$major] isolation (make installcheck, ISOLATION)"
			regress_suite isolation "$T_ISOLATION" "$mout/isolation.log" REGRESS= TAP_TESTS=
		else
			note isolation "none"
		fi
	fi

	# --- pgTAP: test/pgtap/*.sql with pg_prove ----------------------------
	if want pgtap; then
		case $pgtap_status in
			ok:*)
				ls_log "[$major] pgTAP (pg_prove)"
				ls_psql -d postgres -c "CREATE DATABASE leadstore_tap" >"$mout/pgtap-setup.log" 2>&1 &&
					ls_psql -d leadstore_tap -c "SET client_min_messages = warning" -c "CREATE EXTENSION pgtap" \
						-c "CREATE EXTENSION leadstore" -f sql/leadstore_data_model.sql >>"$mout/pgtap-setup.log" 2>&1 ||
					cat "$mout/pgtap-setup.log" >&2
				timed "$T_PGTAP" "$mout/pgtap.log" pg_prove --psql-bin "$LS_PGBIN/psql" -v -d leadstore_tap \
					test/pgtap/*.sql
				grep -E '^test/pgtap|^(Result|Files)|^TIMEOUT' "$mout/pgtap.log" >&2
				read -r p f <<<"$(tap_counts "$mout/pgtap.log")"
				[ "$p" = 0 ] && [ "$f" = 0 ] && f=1
				count pgTAP "$p" "$f"
				;;
			skipped:*) note pgTAP "$pgtap_status" ;;
			*) tail -20 "$mout/pgbuild-pgtap.log" >&2; count pgTAP 0 1 ;;
		esac
	fi

	# --- client: clients/drizzle with node --test --------------------------
	if want client && [ -f clients/drizzle/package.json ]; then
		ls_log "[$major] client (node --test, Drizzle + node-postgres)"
		ls_psql -d postgres -c "CREATE DATABASE leadstore_client" >"$mout/client-setup.log" 2>&1 &&
			ls_psql -d leadstore_client -c "SET client_min_messages = warning" -c "CREATE EXTENSION leadstore" \
				-f sql/leadstore_data_model.sql >>"$mout/client-setup.log" 2>&1 ||
			cat "$mout/client-setup.log" >&2
		timed "$T_CLIENT" "$mout/client.log" bash -c 'cd "$1/clients/drizzle" &&
			npm ci --no-audit --no-fund --loglevel=error &&
			LEADSTORE_TEST_URL="postgresql://postgres@127.0.0.1:$2/leadstore_client" npm test' \
			_ "$tree" "$PGPORT"
		rc=$?
		p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$mout/client.log" | tail -1)
		f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$mout/client.log" | tail -1)
		grep -E '^# (tests|pass|fail)|^not ok|^TIMEOUT' "$mout/client.log" >&2
		[ $rc = 124 ] && f=$((${f:-0} + 1))
		if [ -z "$p" ]; then p=0; f=${f:-1}; [ "$f" = 0 ] && f=1; tail -40 "$mout/client.log" >&2; fi
		count client "$p" "${f:-0}"
	fi

	# --- benchmark scripts: each runs once --------------------------------
	if want bench && [ -x bench/run ]; then
		ls_log "[$major] benchmark smoke (bench/run --smoke)"
		timed "$T_BENCH" "$mout/bench-smoke.log" "$tree/bench/run" --smoke
		p=$(grep -c '^smoke ok ' "$mout/bench-smoke.log" || true)
		f=$(grep -c '^smoke FAILED ' "$mout/bench-smoke.log" || true)
		grep -E '^smoke |^TIMEOUT' "$mout/bench-smoke.log" >&2
		grep -q '^TIMEOUT' "$mout/bench-smoke.log" && f=$((f + 1))
		if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; tail -40 "$mout/bench-smoke.log" >&2; fi
		count bench-smoke "$p" "$f"
	fi

	# --- TAP: test/t/*.pl with PostgreSQL::Test::Cluster, as leadstore ----
	if want tap; then
		local t tp=0 tf=0 name
		if ls test/t/*.pl >/dev/null 2>&1; then
			for t in test/t/*.pl; do
				name=$(basename "$t" .pl)
				ls_log "[$major] TAP $t (make prove_installcheck, as $LS_OSUSER)"
				timed "$T_TAP" "$mout/tap-$name.log" runuser -u "$LS_OSUSER" -- \
					make -C "$tree" PG_CONFIG="$LS_PG_CONFIG" PROVE_FLAGS=-v PROVE_TESTS="$t" \
					prove_installcheck
				read -r p f <<<"$(tap_counts "$mout/tap-$name.log")"
				[ "$p" = 0 ] && [ "$f" = 0 ] && f=1
				grep -E '^(not ok|Result|Files|TIMEOUT|.*Dubious)' "$mout/tap-$name.log" >&2
				tp=$((tp + p))
				tf=$((tf + f))
				# nodes a killed test left running
				find "$tree/tmp_check" -name postmaster.pid 2>/dev/null | while read -r pid; do
					runuser -u "$LS_OSUSER" -- "$LS_PGBIN/pg_ctl" -D "$(dirname "$pid")" -m immediate stop \
						>/dev/null 2>&1 || true
				done
				[ -d "$tree/tmp_check/log" ] && cp -r "$tree/tmp_check/log" "$mout/tap-$name-nodes"
			done
			count TAP "$tp" "$tf"
		else
			note TAP "none yet"
		fi
	fi

	# --- pgvector: sql/pgvector*.sql, where pgvector is built -------------
	if want pgvector; then
		local vtests
		vtests=$(cd sql && ls pgvector*.sql 2>/dev/null | sed 's/\.sql$//' | xargs)
		if [ -z "$vtests" ]; then
			note pgvector "no tests yet; $pgvector_status"
		else
			case $pgvector_status in
				ok:*)
					ls_log "[$major] pgvector tests (pg_regress: $vtests; $pgvector_status)"
					regress_suite pgvector "$T_PGVECTOR" "$mout/pgvector.log" \
						REGRESS="$vtests" REGRESS_OPTS=--dbname=leadstore_pgvector ISOLATION= TAP_TESTS=
					;;
				skipped:*) note pgvector "$pgvector_status (tests: $vtests)" ;;
				*) tail -20 "$mout/pgbuild-pgvector.log" >&2; count pgvector 0 1 ;;
			esac
		fi
	fi

	# --- once, with the first major's server: tools/repo-checks.sh --------
	if want repo-checks && [ "$repo_checked" = 0 ] && [ -f "$top/tools/repo-checks.sh" ]; then
		repo_checked=1
		ls_log "[$major] repository checks (tools/repo-checks.sh)"
		timed "$T_CHECKS" "$mout/repo-checks.log" bash -c 'cd "$1" && bash tools/repo-checks.sh' _ "$top"
		rc=$?
		p=$(grep -c '^ok ' "$mout/repo-checks.log" || true)
		f=$(grep -c '^not ok ' "$mout/repo-checks.log" || true)
		grep -E '^(not ok|skipped) |^TIMEOUT' "$mout/repo-checks.log" >&2
		if [ $rc != 0 ] && [ "$f" = 0 ]; then f=1; tail -20 "$mout/repo-checks.log" >&2; fi
		count repo-checks "$p" "$f"
	fi

	ls_cluster_stop "test$major"
	trap - EXIT
	cd "$top"
	printf '[%s] PostgreSQL %s: %d passed, %d failed\n' "$major" "$major" "$mpassed" "$mfailed"
	summary="$summary"$'\n'"PostgreSQL $major: $mpassed passed, $mfailed failed"
}

# ---------------------------------------------------------------------------

# one run at a time on this machine: the clusters, ports and tree copies
# are the same for every run
exec 8>/var/tmp/leadstore-test.lock
if ! flock -n 8; then
	ls_log "another tools/test.sh is running; waiting for it"
	flock 8
fi

start=$(date +%s)
if ! ls_install_deps with-node >"$out/deps.log" 2>&1; then
	cat "$out/deps.log" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

for m in $majors; do
	run_major "$m"
	cd "$top"
done
major=""

# --- once: format of src/ ----------------------------------------------------
mpassed=0
mfailed=0
if want pgindent; then
	ls_log "format (tools/pgindent.sh --check)"
	if timed "$T_CHECKS" "$out/pgindent.log" bash tools/pgindent.sh --check; then
		count pgindent 1 0
	else
		cat "$out/pgindent.log" >&2
		count pgindent 0 1
	fi
fi
summary="$summary"$'\n'"format: $mpassed passed, $mfailed failed"

echo "-- summary ($(($(date +%s) - start))s)${summary}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
