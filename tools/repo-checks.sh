#!/usr/bin/env bash
# tools/repo-checks.sh -- checks that the repository stands alone and can be
# released: nothing in it points outside it, the release metadata agree, and
# the distribution zip builds, installs and passes pg_regress on its own.
#
#	no-outside-references	no tracked file mentions the shared design
#							folder, the design document by name, tracker
#							issue numbers or numbered findings (everything
#							but .git is searched)
#	meta-json				META.json is valid JSON with the keys PGXN's
#							meta-spec 1.0 requires; its version equals
#							leadstore.control's default_version, the
#							provided extension's version, the newest
#							CHANGELOG.md entry and the Drizzle client's
#							package version; the provided file exists
#	dist-zip				make dist writes leadstore-<version>.zip whose
#							entries all sit under leadstore-<version>/
#	dist-build				the unpacked zip, in a fresh directory outside
#							the checkout, builds: make PG_CONFIG=$PG_CONFIG
#	dist-installcheck		... installs and passes make installcheck against
#							the server in PGHOST/PGPORT/PGUSER (skipped when
#							neither PGHOST nor PGPORT is set)
#
# Output: one line per check, "ok <name>", "not ok <name>: <why>" or
# "skipped <name>: <why>"; details go to stderr.  Exit status 0 only when
# every check is ok; 1 when one failed; 2 when none failed but one was
# skipped.
#
# Environment: PG_CONFIG (default: $LS_PG_CONFIG, then pg_config in PATH);
# PGHOST, PGPORT, PGUSER of a running server of that major (a superuser:
# pg_regress creates databases).  dist-installcheck installs the
# zip's build into PG_CONFIG's installation for its duration (as root, like
# the test command) and then puts back the leadstore files that were
# installed before.  Logs: $REPO_CHECKS_OUT (default: a temporary directory,
# kept only when something failed).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

failed=0
skipped=0
ok() { printf 'ok %s\n' "$*"; }
notok() { printf 'not ok %s: %s\n' "$1" "$2"; failed=1; }
skip() { printf 'skipped %s: %s\n' "$1" "$2"; skipped=1; }
detail() { sed 's/^/#   /' >&2; }

work=${REPO_CHECKS_OUT:-}
if [ -z "$work" ]; then
	work=$(mktemp -d /tmp/leadstore-repo-checks.XXXXXX)
	own_work=1
else
	rm -rf "$work"
	mkdir -p "$work"
	own_work=0
fi

# python3 reads META.json and unpacks the zip; install it when missing
python=$(command -v python3 || true)
if [ -z "$python" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	apt-get update -qq >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null 2>&1
	python=$(command -v python3 || true)
fi

# --- no-outside-references ---------------------------------------------
# The patterns are spelt so that this file does not match them itself.
check_references()
{
	local list=$work/files hits=$work/references.txt
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z >"$list"
	else
		find . -type f -not -path './.git/*' -print0 | sed -z 's|^\./||' >"$list"
	fi
	: >"$hits"
	# the design folder next to the checkout
	xargs -0 grep -n -I -s -H -F -e '..''/shared' <"$list" >>"$hits"
	# the design document: the upper-case word, or its file name in any case
	xargs -0 grep -n -I -s -H -w -e 'S''PEC' <"$list" >>"$hits"
	xargs -0 grep -n -I -s -H -i -e 'spec[.]md' <"$list" >>"$hits"
	# tracker issue numbers and numbered findings
	xargs -0 grep -n -I -s -H -i -E -e '(^|[^[:alnum:]_])issues?[[:space:]]+#?[0-9]' <"$list" >>"$hits"
	xargs -0 grep -n -I -s -H -i -E -e '(^|[^[:alnum:]_])findings?[[:space:]]+#?[0-9]' <"$list" >>"$hits"
	sort -u -o "$hits" "$hits"
	if [ -s "$hits" ]; then
		local nlines nfiles first
		nlines=$(wc -l <"$hits")
		nfiles=$(cut -d: -f1 "$hits" | sort -u | wc -l)
		first=$(cut -d: -f1 "$hits" | sort | uniq -c | sort -rn | awk '{printf "%s%s (%d)", (NR > 1 ? ", " : ""), $2, $1}' | cut -c1-400)
		notok no-outside-references "$nlines lines in $nfiles files: $first"
		cut -c1-200 "$hits" | detail
	else
		ok no-outside-references
	fi
}

# --- meta-json ----------------------------------------------------------
check_meta()
{
	local why
	if [ -z "$python" ]; then
		notok meta-json "python3 not found"
		return
	fi
	if why=$("$python" - <<'PY' 2>&1
import json, re, subprocess, sys, os

def fail(msg):
    print(msg)
    sys.exit(1)

try:
    with open("META.json", encoding="utf-8") as f:
        meta = json.load(f)
except (OSError, ValueError) as e:
    fail("META.json is not valid JSON: %s" % e)
if not isinstance(meta, dict):
    fail("META.json is not a JSON object")
missing = [k for k in ("name", "abstract", "version", "maintainer", "license",
                       "provides", "meta-spec") if k not in meta]
if missing:
    fail("META.json lacks required keys: " + ", ".join(missing))
spec = meta["meta-spec"]
if not isinstance(spec, dict) or not re.fullmatch(r"1\.0\.\d+", str(spec.get("version", ""))):
    fail('META.json meta-spec.version is not 1.0.x')
semver = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?"
version = meta["version"]
if not isinstance(version, str) or not re.fullmatch(semver, version):
    fail("META.json version %r is not a semantic version" % (version,))
if meta["name"] != "leadstore":
    fail("META.json name is %r, not 'leadstore'" % (meta["name"],))
if meta.get("release_status", "stable") not in ("stable", "testing", "unstable"):
    fail("META.json release_status %r is not stable, testing or unstable" % (meta["release_status"],))
provides = meta["provides"]
ext = provides.get("leadstore") if isinstance(provides, dict) else None
if not isinstance(ext, dict) or "file" not in ext or "version" not in ext:
    fail("META.json provides.leadstore lacks file or version")
if ext["version"] != version:
    fail("META.json provides.leadstore.version %s differs from version %s" % (ext["version"], version))
if not os.path.isfile(ext["file"]):
    fail("META.json provides.leadstore.file %s does not exist" % ext["file"])

control = open("leadstore.control", encoding="utf-8").read()
m = re.search(r"^\s*default_version\s*=\s*'([^']*)'", control, re.M)
if not m:
    fail("leadstore.control has no default_version")
if m.group(1) != version:
    fail("META.json version %s differs from leadstore.control default_version %s" % (version, m.group(1)))

newest = None
for line in open("CHANGELOG.md", encoding="utf-8"):
    h = re.match(r"##\s+\[?v?(" + semver + r")\]?", line)
    if h:
        newest = h.group(1)
        break
if newest is None:
    fail("CHANGELOG.md has no '## <version>' entry")
if newest != version:
    fail("META.json version %s differs from the newest CHANGELOG.md entry %s" % (version, newest))
client = "clients/drizzle/package.json"
if os.path.isfile(client):
    try:
        cversion = json.load(open(client, encoding="utf-8")).get("version")
    except ValueError as e:
        fail("%s is not valid JSON: %s" % (client, e))
    if cversion != version:
        fail("%s version %s differs from META.json version %s" % (client, cversion, version))
print("version %s" % version)
PY
	); then
		ok meta-json
		echo "$why" | detail
	else
		notok meta-json "$why"
	fi
}

# --- dist-zip, dist-build, dist-installcheck -----------------------------
installed_files()
{
	# every leadstore file PG_CONFIG's installation holds, relative to /
	local pkglibdir=$1 sharedir=$2
	(
		cd / &&
			for f in "${pkglibdir#/}"/leadstore.so "${pkglibdir#/}"/bitcode/leadstore.index.bc \
				"${pkglibdir#/}"/bitcode/leadstore "${sharedir#/}"/extension/leadstore.control \
				"${sharedir#/}"/extension/leadstore--*.sql "${sharedir#/}"/extension/leadstore_data_model.sql; do
				[ -e "$f" ] && printf '%s\n' "$f"
			done
	)
}

restore_install()
{
	[ -n "${backup_done:-}" ] || return 0
	local f
	installed_files "$pkglibdir" "$sharedir" | while read -r f; do rm -rf "/$f"; done
	if [ -s "$work/installed-before.list" ]; then
		tar -C / -xpf "$work/installed-before.tar"
	fi
	backup_done=
}

check_dist()
{
	local version zip src pg_config server=1 log
	version=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" leadstore.control)
	zip=$work/leadstore-$version.zip
	src=$work/src/leadstore-$version

	if ! make -s dist DIST_DIR="$work" >"$work/dist.log" 2>&1; then
		notok dist-zip "make dist failed (see $work/dist.log)"
		tail -n 20 "$work/dist.log" | detail
		return
	fi
	if [ ! -s "$zip" ]; then
		notok dist-zip "make dist did not write leadstore-$version.zip"
		return
	fi
	if [ -z "$python" ]; then
		notok dist-zip "python3 not found (needed to unpack the zip)"
		return
	fi
	local why
	if ! why=$("$python" - "$zip" "$work/src" "leadstore-$version/" <<'PY' 2>&1
import sys, zipfile
zpath, dest, prefix = sys.argv[1:]
with zipfile.ZipFile(zpath) as z:
    names = z.namelist()
    bad = [n for n in names if not n.startswith(prefix)]
    if bad:
        print("entries outside %s: %s" % (prefix, ", ".join(bad[:5])))
        sys.exit(1)
    for need in ("META.json", "leadstore.control", "Makefile", "LICENSE", "README.md"):
        if prefix + need not in names:
            print("%s is not in the zip" % need)
            sys.exit(1)
    # the committed release files must name the zip's version
    import json, re
    version = prefix.rstrip("/").split("-", 1)[1]
    meta = json.loads(z.read(prefix + "META.json"))
    control = z.read(prefix + "leadstore.control").decode()
    m = re.search(r"^\s*default_version\s*=\s*'([^']*)'", control, re.M)
    if not m or m.group(1) != version:
        print("the committed leadstore.control is not version %s (commit it)" % version)
        sys.exit(1)
    if meta.get("version") != version:
        print("the committed META.json is not version %s (commit it)" % version)
        sys.exit(1)
    provided = meta.get("provides", {}).get("leadstore", {}).get("file", "")
    if prefix + provided not in names:
        print("%s (provides.leadstore.file) is not in the zip (commit it)" % provided)
        sys.exit(1)
    z.extractall(dest)
    # git archive keeps the executable bits in the external attributes
    import os, stat
    for info in z.infolist():
        mode = info.external_attr >> 16
        if mode and not info.is_dir():
            os.chmod(os.path.join(dest, info.filename), stat.S_IMODE(mode))
PY
	); then
		notok dist-zip "$why"
		return
	fi
	ok dist-zip

	# PG_CONFIG; else the major tools/lib.sh selected (exported by it); else PATH
	pg_config=${PG_CONFIG:-${LS_PG_CONFIG:-$(command -v pg_config || true)}}
	if [ -z "$pg_config" ] || [ ! -x "$pg_config" ]; then
		notok dist-build "no pg_config (set PG_CONFIG)"
		return
	fi
	[ -n "${PGHOST:-}" ] || [ -n "${PGPORT:-}" ] || server=0

	log=$work/dist-build.log
	if ! make -C "$src" PG_CONFIG="$pg_config" >"$log" 2>&1; then
		notok dist-build "make failed in $src (see $log)"
		tail -n 20 "$log" | detail
		return
	fi
	if [ "$server" = 1 ]; then
		ok dist-build
	else
		ok "dist-build (build only)"
		skip dist-installcheck "no server (neither PGHOST nor PGPORT is set)"
		return
	fi

	# the server must answer and be of PG_CONFIG's major
	local bindir server_num config_num
	bindir=$("$pg_config" --bindir)
	if ! server_num=$("$bindir/psql" -X -A -t -d postgres -c 'SHOW server_version_num' 2>"$work/psql.log"); then
		notok dist-installcheck "no server answers at PGHOST=${PGHOST:-} PGPORT=${PGPORT:-}: $(head -n 1 "$work/psql.log")"
		return
	fi
	config_num=$("$pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
	if [ "${server_num:0:2}" != "$config_num" ]; then
		notok dist-installcheck "server is version $server_num, $pg_config is PostgreSQL $config_num"
		return
	fi

	pkglibdir=$("$pg_config" --pkglibdir)
	sharedir=$("$pg_config" --sharedir)
	installed_files "$pkglibdir" "$sharedir" >"$work/installed-before.list"
	if [ -s "$work/installed-before.list" ]; then
		tar -C / -cpf "$work/installed-before.tar" -T "$work/installed-before.list" || {
			notok dist-installcheck "cannot back up the installed leadstore files"
			return
		}
	fi
	backup_done=1
	trap restore_install EXIT

	log=$work/dist-install.log
	if ! make -C "$src" PG_CONFIG="$pg_config" install >"$log" 2>&1; then
		notok dist-installcheck "make install failed (see $log)"
		tail -n 20 "$log" | detail
		restore_install
		return
	fi
	# TAP_TESTS= : the TAP suites start their own servers and are run by
	# the test command itself; this check is about the zip's pg_regress run.
	log=$work/dist-installcheck.log
	if make -C "$src" PG_CONFIG="$pg_config" TAP_TESTS= installcheck >"$log" 2>&1; then
		ok dist-installcheck
	else
		notok dist-installcheck "make installcheck failed (see $log and $src/regression.diffs)"
		tail -n 30 "$log" | detail
		[ -f "$src/regression.diffs" ] && head -n 60 "$src/regression.diffs" | detail
	fi
	restore_install
	trap - EXIT
}

check_references
check_meta
check_dist

if [ "$failed" = 0 ] && [ "$own_work" = 1 ]; then
	rm -rf "$work"
fi
if [ "$failed" != 0 ]; then
	exit 1
elif [ "$skipped" != 0 ]; then
	exit 2
fi
exit 0
