# tools/lib.sh -- shared shell functions for the demo, test and benchmark
# commands: install what leadstore needs, build it, and run a throwaway
# PostgreSQL cluster as a dedicated non-root user.
#
# Sourced, never run.  Every function is idempotent.
#
# The PostgreSQL major is LS_PGVER (default 15): 15 is Debian 12's own
# packages (/usr/lib/postgresql/15), any other major is the build that
# tools/pgbuild.sh leaves in $LS_PG_CACHE/<major> (default
# /var/tmp/leadstore-pg).  Set LS_PGVER before sourcing, or call
# ls_use_major MAJOR afterwards; LS_PGBIN and LS_PG_CONFIG follow.

LS_PG_CACHE=${LS_PG_CACHE:-/var/tmp/leadstore-pg}
LS_OSUSER=${LS_OSUSER:-leadstore}
LS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ls_use_major MAJOR: LS_PGVER, LS_PGBIN, LS_PG_CONFIG for that major
# (exported, so that the commands a suite starts use the same server)
ls_use_major()
{
	LS_PGVER=$1
	if [ "$LS_PGVER" = 15 ]; then
		LS_PGBIN=/usr/lib/postgresql/15/bin
	else
		LS_PGBIN=$LS_PG_CACHE/$LS_PGVER/bin
	fi
	LS_PG_CONFIG=$LS_PGBIN/pg_config
	export LS_PGVER LS_PGBIN LS_PG_CONFIG LS_PG_CACHE
}
ls_use_major "${LS_PGVER:-15}"

ls_log()
{
	printf '==> %s\n' "$*" >&2
}

# ls_install_deps [with-node]
#		Installs the Debian packages the build and the suites need (only when
#		one is missing, so a warm machine skips apt entirely).
ls_install_deps()
{
	# Debian 12's PostgreSQL 15 always (pg_prove, pg-bsd-indent and the other
	# majors' builds need no more than these); libipc-run-perl for the TAP
	# tests.  Other majors: tools/pgbuild.sh.
	local pkgs="postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl libipc-run-perl pg-bsd-indent make gcc"
	local missing="" p
	for p in $pkgs; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ "${1:-}" = with-node ] && ! command -v npm >/dev/null 2>&1; then
		missing="$missing nodejs npm"
	fi
	if [ -n "$missing" ]; then
		[ "$(id -u)" = 0 ] || { echo "need root to install:$missing" >&2; return 1; }
		ls_log "installing:$missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	fi
	# Debian starts a "main" cluster on 5432; we never use it.
	id "$LS_OSUSER" >/dev/null 2>&1 || useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin "$LS_OSUSER"
}

# ls_build_install: make && make install against $LS_PG_CONFIG.  Objects
# built for another major are removed first (a stamp in the cache records
# which pg_config built this tree's objects).
ls_build_install()
{
	local stamp
	stamp=$LS_PG_CACHE/built-for-$(printf '%s' "$LS_TOP" | md5sum | cut -c1-12)
	[ -x "$LS_PG_CONFIG" ] || { echo "no PostgreSQL $LS_PGVER: $LS_PG_CONFIG missing (tools/pgbuild.sh server $LS_PGVER)" >&2; return 1; }
	mkdir -p "$LS_PG_CACHE"
	if [ "$(cat "$stamp" 2>/dev/null)" != "$LS_PG_CONFIG" ]; then
		make -C "$LS_TOP" -s PG_CONFIG="$LS_PG_CONFIG" clean >/dev/null 2>&1
	fi
	ls_log "building and installing leadstore for PostgreSQL $LS_PGVER"
	make -C "$LS_TOP" -s PG_CONFIG="$LS_PG_CONFIG" ${PG_CFLAGS:+PG_CFLAGS="$PG_CFLAGS"} >/dev/null &&
		echo "$LS_PG_CONFIG" >"$stamp" &&
		make -C "$LS_TOP" -s PG_CONFIG="$LS_PG_CONFIG" install >/dev/null
}

# ls_cluster_start NAME PORT [extra postgres -c settings...]
#		initdb a fresh cluster in /var/tmp/leadstore-NAME, owned by the
#		$LS_OSUSER system user, listening on a unix socket in that directory
#		and on 127.0.0.1:PORT only, trust authentication, superuser
#		"postgres".  Exports PGHOST, PGPORT, PGUSER for the callers' clients.
ls_cluster_start()
{
	local name=$1 port=$2
	shift 2
	local dir=/var/tmp/leadstore-$name
	ls_cluster_stop "$name"
	rm -rf "$dir"
	mkdir -p "$dir"
	chown "$LS_OSUSER:" "$dir"
	chmod 755 "$dir"
	ls_log "starting throwaway cluster $name on 127.0.0.1:$port and $dir"
	runuser -u "$LS_OSUSER" -- "$LS_PGBIN/initdb" -D "$dir/data" -U postgres \
		--auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; return 1; }
	local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir"
	local o
	for o in "$@"; do
		opts="$opts -c $o"
	done
	runuser -u "$LS_OSUSER" -- "$LS_PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
		-o "$opts" -w -t 60 start >/dev/null ||
		{ cat "$dir/server.log" >&2; return 1; }
	export PGHOST=$dir PGPORT=$port PGUSER=postgres
	unset PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS
}

# ls_cluster_stop NAME: stops the cluster if it runs (keeps its files).
ls_cluster_stop()
{
	local dir=/var/tmp/leadstore-$1
	if [ -f "$dir/data/postmaster.pid" ]; then
		runuser -u "$LS_OSUSER" -- "$LS_PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
}

# ls_psql ARGS...: psql of $LS_PGVER, quiet, stop on the first error.
ls_psql()
{
	"$LS_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"
}
