#!/usr/bin/env bash
# cmake:consumer_pkgconfig_<backend>: builds tests/cmake/consumer.cpp with plain make against
# the liveness.pc of a fresh install prefix (the cmake:install_<backend> fixture) and runs it.
#   run.sh <prefix> <build dir> <standalone|boost> <project version> <c++ compiler>
# Checks that pkg-config finds the prefix's liveness.pc (PKG_CONFIG_PATH) with the project's
# version and the backend's macro, builds and runs the program, then that a copy of the
# prefix moved elsewhere is still found where it is (the .pc file is ${pcfiledir}-relative).
# Without pkg-config or make: skips (exit code 4) saying why, or fails when
# LIVENESS_REQUIRE_PRIVILEGED_TESTS=1 (CI, where scripts/test.sh installs both).
set -euo pipefail
prefix=$1 build_dir=$2 backend=$3 version=$4 cxx=$5
here=$(cd "$(dirname "$0")" && pwd)

for tool in pkg-config make; do
  if ! command -v "$tool" >/dev/null; then
    echo "consumer_pkgconfig: $tool not found (Debian: apt-get install $tool)"
    if [[ "${LIVENESS_REQUIRE_PRIVILEGED_TESTS:-0}" == 1 ]]; then
      echo "consumer_pkgconfig: LIVENESS_REQUIRE_PRIVILEGED_TESTS=1, so this is a failure"
      exit 1
    fi
    echo "consumer_pkgconfig: skipped"
    exit 4
  fi
done

fail() { echo "consumer_pkgconfig: FAILED: $*"; exit 1; }

pcdir=$prefix/share/pkgconfig
[[ -f $pcdir/liveness.pc ]] || fail "no $pcdir/liveness.pc in the install prefix"
export PKG_CONFIG_PATH=$pcdir
found=$(pkg-config --variable=pcfiledir liveness)
[[ $found -ef $pcdir ]] || fail "pkg-config found liveness.pc in $found, not in $pcdir"
got_version=$(pkg-config --modversion liveness)
[[ $got_version == "$version" ]] || fail "version $got_version, expected $version"
cflags=$(pkg-config --cflags liveness)
libs=$(pkg-config --libs liveness)
echo "consumer_pkgconfig: liveness $got_version from $found"
echo "consumer_pkgconfig: --cflags: $cflags"
echo "consumer_pkgconfig: --libs:   $libs"
if [[ $backend == boost ]]; then
  want=-DLIVENESS_USE_BOOST_ASIO
else
  want=-DASIO_STANDALONE
fi
[[ " $cflags " == *" $want "* ]] || fail "--cflags lacks $want"
[[ " $libs " == *" -pthread "* ]] || fail "--libs lacks -pthread"
[[ $(pkg-config --variable=asio_flavour liveness) == "$backend" ]] ||
  fail "asio_flavour is not $backend"

rm -rf "$build_dir"
mkdir -p "$build_dir"
make -C "$build_dir" -f "$here/Makefile" CXX="$cxx"
"$build_dir/consumer" "$backend"

# Relocated: a copy of the prefix is found through its own path.
moved=$build_dir/moved_prefix
cp -a "$prefix" "$moved"
export PKG_CONFIG_PATH=$moved/share/pkgconfig
includedir=$(pkg-config --variable=includedir liveness)
[[ -f $includedir/liveness.hpp && $includedir/liveness.hpp -ef $moved/include/liveness.hpp ]] ||
  fail "the moved prefix's includedir is $includedir, not $moved/include"
[[ " $(pkg-config --cflags liveness) " == *" -I$includedir "* ]] ||
  fail "the moved prefix's --cflags do not name $includedir"
echo "consumer_pkgconfig: a moved copy of the prefix resolves to $includedir"
