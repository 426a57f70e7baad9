#!/usr/bin/env bash
# tools/pgbuild.sh -- PostgreSQL majors other than Debian 12's 15, and the
# extensions the suites need on every major (pgTAP, pgvector), built from
# Debian's source packages into a per-machine cache that later runs reuse.
#
#	tools/pgbuild.sh server MAJOR     PostgreSQL MAJOR with its contrib modules,
#	                                  isolation tester and TAP test modules
#	tools/pgbuild.sh pgtap MAJOR      pgTAP for MAJOR
#	tools/pgbuild.sh pgvector MAJOR   pgvector for MAJOR (newest Debian source
#	                                  that builds against it)
#	tools/pgbuild.sh all MAJOR...     all three, for each MAJOR
#
# Major 15 is Debian 12's own PostgreSQL (packages installed by tools/lib.sh):
# "server 15" and "pgtap 15" only check that it is there; pgvector is built
# against it and installed into it.
#
# The last line of each step is "ok: <what>" (exit 0), "skipped: <reason>"
# (exit 2: the source could not be downloaded, or no downloadable pgvector
# builds against that major) or "failed: <reason>" (exit 1: the build broke).
# A skipped step is retried on the next run; it is never a pass.
#
# Sources come from Debian through a private apt sources list (one per
# suite, under the cache) that names the same mirror as this machine's own
# Debian entry; the system's apt configuration is not touched.
#
# Cache: $LS_PG_CACHE (default /var/tmp/leadstore-pg)
#	<major>/              installation prefix (15: stamps only)
#	<major>/.complete     written last, after a complete server build: the
#	                      build is reused while it exists
#	<major>/.pgtap, <major>/.pgvector   the same for the extensions
#	apt/<suite>/          private sources list, package lists and apt cache
#	src/, build/, logs/   downloads, build trees and build logs
#
# Must run as root (it installs build dependencies and, for 15, pgvector into
# the system's PostgreSQL).
set -uo pipefail

LS_PG_CACHE=${LS_PG_CACHE:-/var/tmp/leadstore-pg}
LS_BUILD_JOBS=${LS_BUILD_JOBS:-$(nproc)}
# package lists older than this many minutes are refreshed (when the
# mirror answers) before a download or a pgvector version check
LS_APT_MAX_AGE=${LS_APT_MAX_AGE:-720}
# Debian suites to try, in order
LS_SUITES_18=${LS_SUITES_18:-sid}
LS_SUITES_17=${LS_SUITES_17:-trixie sid}
LS_SUITES_PGTAP=${LS_SUITES_PGTAP:-trixie sid}
LS_SUITES_PGVECTOR=${LS_SUITES_PGVECTOR:-sid trixie}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log()
{
	printf '==> pgbuild: %s\n' "$*" >&2
}

# result ok|skipped|failed MESSAGE: the step's last line and exit status
result()
{
	echo "$1: $2"
	case $1 in
		ok) exit 0 ;;
		skipped) exit 2 ;;
		*) exit 1 ;;
	esac
}

mkdir -p "$LS_PG_CACHE"/{src,build,logs,apt}

# ---------------------------------------------------------------------------
# apt, privately

# debian_mirror: the URI of this machine's main Debian entry (not the
# security archive), read from the apt configuration
debian_mirror()
{
	local f uri=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '
			BEGIN { RS = ""; FS = "\n" }
			{
				u = ""; s = ""; t = ""
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/) { u = $i; sub(/^URIs:[ \t]*/, "", u); sub(/[ \t].*/, "", u) }
					if ($i ~ /^Suites:/) { s = $i }
					if ($i ~ /^Types:/) { t = $i }
				}
				if (t ~ /deb/ && u != "" && u !~ /security/ && s !~ /security/) { print u; exit }
			}' "$f")
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 ~ /^deb(-src)?$/ {
				i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($i !~ /security/ && $(i + 1) !~ /security/) { print $i; exit }
			}' /etc/apt/sources.list)
	fi
	echo "${uri%/}"
}

# apt_opts SUITE: sets the array APT_OPTS for apt-get/apt-cache on SUITE's
# private list, writing that list first
apt_opts()
{
	local suite=$1 dir=$LS_PG_CACHE/apt/$1 uri
	uri=$(debian_mirror)
	[ -n "$uri" ] || { log "no Debian entry found in the apt configuration"; return 1; }
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	local line="deb-src [signed-by=$KEYRING] $uri $suite main"
	[ "$(cat "$dir/sources.list" 2>/dev/null)" = "$line" ] || echo "$line" >"$dir/sources.list"
	APT_OPTS=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o APT::Sandbox::User=root -o Acquire::Retries=3)
}

# apt_refresh SUITE: apt-get update on SUITE's private list when its lists
# are missing or older than LS_APT_MAX_AGE minutes; failure is not fatal
# while older lists exist
apt_refresh()
{
	local suite=$1 dir=$LS_PG_CACHE/apt/$1 stamp
	apt_opts "$suite" || return 1
	stamp=$dir/updated
	if [ -f "$stamp" ] && [ -z "$(find "$stamp" -mmin +"$LS_APT_MAX_AGE")" ]; then
		return 0
	fi
	log "apt-get update ($suite, private list)"
	if timeout 600 apt-get -qq "${APT_OPTS[@]}" update >"$dir/update.log" 2>&1 &&
		! grep -qE '^(E:|W: (Failed|GPG))' "$dir/update.log"; then
		touch "$stamp"
		return 0
	fi
	cat "$dir/update.log" >&2
	ls "$dir"/lists/*Sources* >/dev/null 2>&1
}

# src_versions SUITE PACKAGE: the versions of source PACKAGE in SUITE's lists
src_versions()
{
	apt_opts "$1" || return 0
	apt-cache "${APT_OPTS[@]}" showsrc --only-source "$2" 2>/dev/null |
		awk '/^Version:/ { print $2 }' | sort -uV
}

# fetch_source SUITE PACKAGE [VERSION]: downloads source PACKAGE from SUITE
# (once; kept under src/) and sets DSC to the path of its .dsc -- or, when
# the mirror has the package's upstream tarball (.orig.tar.*) but not its
# .dsc, to that tarball (apt has checked it against the suite's index).
# On failure FETCH_ERROR says why (with apt's first complaint).
fetch_source()
{
	local suite=$1 pkg=$2 ver=${3:-} dir dsc try orig
	FETCH_ERROR=""
	DSC=""
	apt_refresh "$suite" || { FETCH_ERROR="apt-get update of $suite failed"; return 1; }
	[ -n "$ver" ] || ver=$(src_versions "$suite" "$pkg" | tail -1)
	[ -n "$ver" ] || { FETCH_ERROR="no source package $pkg in $suite"; return 1; }
	dir=$LS_PG_CACHE/src/${pkg}_$ver
	dsc=$dir/${pkg}_${ver#*:}.dsc
	if [ -f "$dir/.downloaded" ] && [ -f "$dir/$(cat "$dir/.downloaded")" ]; then
		DSC=$dir/$(cat "$dir/.downloaded")
		return 0
	fi
	mkdir -p "$dir"
	for try in 1 2 3; do
		log "apt-get source $pkg=$ver ($suite, try $try)"
		if (cd "$dir" && timeout 900 apt-get -q "${APT_OPTS[@]}" source --download-only --only-source \
			"$pkg=$ver") >"$dir/download.log" 2>&1 && [ -f "$dsc" ]; then
			basename "$dsc" >"$dir/.downloaded"
			DSC=$dsc
			return 0
		fi
		# a file the mirror does not have will not appear by retrying
		grep -q '404 *Not Found' "$dir/download.log" && break
		sleep $((try * 5))
	done
	FETCH_ERROR=$(grep -E '^E: Failed to fetch' "$dir/download.log" | head -1 | sed 's/ *\[IP:[^]]*\]//')
	[ -n "$FETCH_ERROR" ] || FETCH_ERROR=$(grep -E '^(E|W):' "$dir/download.log" | tail -1)
	[ -n "$FETCH_ERROR" ] || FETCH_ERROR=$(tail -1 "$dir/download.log")
	FETCH_ERROR="$pkg $ver from $suite not downloadable (${FETCH_ERROR:-no output})"
	orig=$(ls "$dir/${pkg}_"*.orig.tar.* 2>/dev/null | head -1)
	if [ -n "$orig" ]; then
		log "$FETCH_ERROR; using its upstream tarball $(basename "$orig")"
		basename "$orig" >"$dir/.downloaded"
		DSC=$orig
		return 0
	fi
	return 1
}

# unpack DSC-OR-TARBALL DIR [--skip-patches]: a fresh source tree in DIR
unpack()
{
	rm -rf "$2"
	case $1 in
		*.dsc)
			dpkg-source -q ${3:-} -x "$1" "$2" >"$2.unpack.log" 2>&1 ||
				{ cat "$2.unpack.log" >&2; return 1; }
			;;
		*)
			mkdir -p "$2" && tar -xf "$1" -C "$2" --strip-components=1
			;;
	esac
}

# ---------------------------------------------------------------------------
# build dependencies

install_build_deps()
{
	local pkgs="dpkg-dev bison flex libipc-run-perl libicu-dev pkg-config libreadline-dev zlib1g-dev make gcc perl"
	local missing="" p
	for p in $pkgs; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		[ "$(id -u)" = 0 ] || { log "need root to install:$missing"; return 1; }
		log "installing:$missing"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $missing >/dev/null
	fi
}

pg_config_of()
{
	if [ "$1" = 15 ]; then
		echo /usr/lib/postgresql/15/bin/pg_config
	else
		echo "$LS_PG_CACHE/$1/bin/pg_config"
	fi
}

lock()
{
	exec 9>"$LS_PG_CACHE/.lock-$1"
	flock 9
}

# ---------------------------------------------------------------------------
# PostgreSQL

build_server()
{
	local major=$1 prefix=$LS_PG_CACHE/$1 suites dsc="" suite err="" tree t0 t1 t2 t3 icu=""
	if [ "$major" = 15 ]; then
		[ -x "$(pg_config_of 15)" ] && result ok "PostgreSQL 15 (Debian packages)"
		result failed "PostgreSQL 15: Debian's postgresql-15 packages are not installed"
	fi
	[ -f "$prefix/.complete" ] && [ -x "$prefix/bin/pg_config" ] &&
		result ok "PostgreSQL $major (cached: $(cat "$prefix/.complete"))"
	lock "server-$major"
	[ -f "$prefix/.complete" ] && [ -x "$prefix/bin/pg_config" ] &&
		result ok "PostgreSQL $major (cached: $(cat "$prefix/.complete"))"
	install_build_deps || result failed "PostgreSQL $major: build dependencies could not be installed"

	eval "suites=\${LS_SUITES_$major:-}"
	[ -n "$suites" ] || suites=sid
	for suite in $suites; do
		fetch_source "$suite" "postgresql-$major" && dsc=$DSC && break
		err="${err:+$err; }$FETCH_ERROR"
		dsc=""
	done
	[ -n "$dsc" ] || result skipped "PostgreSQL $major: $err"

	# Upstream's tree from Debian's source package.  Debian's own patches
	# (directories for several majors side by side, socket directory) are
	# for its packaging and are left out: this is a private prefix.
	tree=$LS_PG_CACHE/build/postgresql-$major
	log "unpacking $(basename "$dsc")"
	unpack "$dsc" "$tree" --skip-patches || result failed "PostgreSQL $major: dpkg-source -x failed"
	pkg-config --exists icu-uc icu-i18n 2>/dev/null || icu=--without-icu
	rm -rf "$prefix"
	local logf=$LS_PG_CACHE/logs/server-$major.log
	: >"$logf"
	log "configure PostgreSQL $major (log: $logf)"
	t0=$(date +%s)
	(cd "$tree" && ./configure --prefix="$prefix" --enable-tap-tests $icu) >>"$logf" 2>&1 ||
		{ tail -20 "$logf" >&2; result failed "PostgreSQL $major: configure failed (see $logf)"; }
	t1=$(date +%s)
	log "make -j$LS_BUILD_JOBS PostgreSQL $major (server, contrib, isolation tester)"
	(cd "$tree" && make -j"$LS_BUILD_JOBS" world-bin && make -C src/test/isolation -j"$LS_BUILD_JOBS" all) \
		>>"$logf" 2>&1 ||
		{ tail -30 "$logf" >&2; result failed "PostgreSQL $major: make failed (see $logf)"; }
	t2=$(date +%s)
	log "make install PostgreSQL $major"
	(cd "$tree" && make install-world-bin && make -C src/test/isolation install &&
		make -C src/test/perl install) >>"$logf" 2>&1 ||
		{ tail -30 "$logf" >&2; result failed "PostgreSQL $major: make install failed (see $logf)"; }
	t3=$(date +%s)
	local pgxs
	pgxs=$(dirname "$("$prefix/bin/pg_config" --pgxs)")/..
	[ -x "$pgxs/test/isolation/pg_isolation_regress" ] ||
		result failed "PostgreSQL $major: pg_isolation_regress not installed under $pgxs"
	[ -f "$pgxs/test/perl/PostgreSQL/Test/Cluster.pm" ] ||
		result failed "PostgreSQL $major: TAP modules not installed under $pgxs/test/perl"
	local ver
	ver=$("$prefix/bin/pg_config" --version)
	echo "$ver from $(basename "$dsc"), configure $((t1 - t0))s, make $((t2 - t1))s, install $((t3 - t2))s" \
		>"$prefix/.complete"
	rm -rf "$tree"
	result ok "PostgreSQL $major built: $(cat "$prefix/.complete")"
}

# ---------------------------------------------------------------------------
# pgTAP

build_pgtap()
{
	local major=$1 pgc stamp=$LS_PG_CACHE/$1/.pgtap suite dsc="" err="" tree
	pgc=$(pg_config_of "$major")
	if [ "$major" = 15 ]; then
		[ -f /usr/share/postgresql/15/extension/pgtap.control ] && result ok "pgTAP (Debian package postgresql-15-pgtap)"
		result failed "pgTAP for 15: Debian package postgresql-15-pgtap is not installed"
	fi
	[ -x "$pgc" ] || result skipped "pgTAP for $major: PostgreSQL $major is not built"
	[ -f "$stamp" ] && [ -f "$("$pgc" --sharedir)/extension/pgtap.control" ] &&
		result ok "pgTAP (cached: $(cat "$stamp"))"
	lock "pgtap-$major"
	install_build_deps || result failed "pgTAP: build dependencies could not be installed"
	for suite in $LS_SUITES_PGTAP; do
		fetch_source "$suite" pgtap && dsc=$DSC && break
		err="${err:+$err; }$FETCH_ERROR"
		dsc=""
	done
	[ -n "$dsc" ] || result skipped "pgTAP for $major: $err"
	tree=$LS_PG_CACHE/build/pgtap-$major
	unpack "$dsc" "$tree" || result failed "pgTAP: dpkg-source -x failed"
	local logf=$LS_PG_CACHE/logs/pgtap-$major.log
	log "building $(basename "$dsc") for PostgreSQL $major (log: $logf)"
	(cd "$tree" && make PG_CONFIG="$pgc" && make PG_CONFIG="$pgc" install) >"$logf" 2>&1 ||
		{ tail -20 "$logf" >&2; result failed "pgTAP for $major: build failed (see $logf)"; }
	basename "$dsc" | sed 's/\.dsc$//; s/\.orig\.tar\..*$/ (upstream tarball)/' >"$stamp"
	rm -rf "$tree"
	result ok "pgTAP built: $(cat "$stamp")"
}

# ---------------------------------------------------------------------------
# pgvector: every downloadable Debian version, newest first, until one builds

build_pgvector()
{
	local major=$1 pgc stamp=$LS_PG_CACHE/$1/.pgvector have="" cands="" suite v dsc tree why=""
	pgc=$(pg_config_of "$major")
	[ -x "$pgc" ] || result skipped "pgvector for $major: PostgreSQL $major is not built"
	mkdir -p "$LS_PG_CACHE/$major"
	lock "pgvector-$major"
	install_build_deps || result failed "pgvector: build dependencies could not be installed"
	if [ -f "$stamp" ] && [ -f "$("$pgc" --sharedir)/extension/vector.control" ]; then
		have=$(cat "$stamp")
	fi
	# candidates: "version suite" lines, newest version first
	for suite in $LS_SUITES_PGVECTOR; do
		apt_refresh "$suite" >/dev/null 2>&1 || { why="${why:+$why; }apt-get update of $suite failed"; continue; }
		for v in $(src_versions "$suite" pgvector); do
			cands="$cands$v $suite"$'\n'
		done
	done
	cands=$(printf '%s' "$cands" | sort -t' ' -k1,1Vr -u)
	[ -n "$cands" ] || {
		[ -n "$have" ] && result ok "pgvector $have (cached)"
		result skipped "pgvector for $major: no Debian source package pgvector found${why:+ ($why)}"
	}
	while read -r v suite; do
		[ -n "$v" ] || continue
		# the cached build is the newest that builds: keep it
		if [ -n "$have" ] && dpkg --compare-versions "$v" le "$have"; then
			result ok "pgvector $have (cached)"
		fi
		if [ -f "$LS_PG_CACHE/$major/.pgvector-fails-$v" ]; then
			why="${why:+$why; }$(cat "$LS_PG_CACHE/$major/.pgvector-fails-$v")"
			continue
		fi
		fetch_source "$suite" pgvector "$v" || { why="${why:+$why; }$FETCH_ERROR"; continue; }
		dsc=$DSC
		tree=$LS_PG_CACHE/build/pgvector-$major
		unpack "$dsc" "$tree" || { why="${why:+$why; }pgvector $v: dpkg-source -x failed"; continue; }
		local logf=$LS_PG_CACHE/logs/pgvector-$v-$major.log
		log "building pgvector $v for PostgreSQL $major (log: $logf)"
		# OPTFLAGS empty: no -march=native, the build runs on any machine
		if (cd "$tree" && make PG_CONFIG="$pgc" OPTFLAGS= -j"$LS_BUILD_JOBS") >"$logf" 2>&1; then
			(cd "$tree" && make PG_CONFIG="$pgc" OPTFLAGS= install) >>"$logf" 2>&1 ||
				result failed "pgvector $v for $major: make install failed (see $logf)"
			echo "$v" >"$stamp"
			rm -rf "$tree"
			result ok "pgvector $v built for PostgreSQL $major"
		fi
		# a version that does not compile against this major stays that way
		local first
		first=$(grep -m1 -E 'error:' "$logf" | sed 's/^[^ ]*: //')
		echo "pgvector $v does not build against PostgreSQL $major (${first:-see $logf})" \
			>"$LS_PG_CACHE/$major/.pgvector-fails-$v"
		why="${why:+$why; }$(cat "$LS_PG_CACHE/$major/.pgvector-fails-$v")"
		rm -rf "$tree"
	done <<<"$cands"
	[ -n "$have" ] && result ok "pgvector $have (cached)"
	result skipped "pgvector for PostgreSQL $major: $why"
}

# ---------------------------------------------------------------------------

case ${1:-} in
	server | pgtap | pgvector)
		[ $# = 2 ] || { echo "usage: $0 server|pgtap|pgvector MAJOR" >&2; exit 64; }
		"build_$1" "$2"
		;;
	all)
		shift
		rc=0
		for m in "$@"; do
			for step in server pgtap pgvector; do
				echo "== $step $m"
				("build_$step" "$m")
				r=$?
				[ $r -gt $rc ] && [ $r != 2 ] && rc=$r
				[ $step = server ] && [ $r != 0 ] && break
			done
		done
		exit $rc
		;;
	*)
		echo "usage: $0 server|pgtap|pgvector MAJOR | all MAJOR..." >&2
		exit 64
		;;
esac
