#!/usr/bin/env bash
# Install every external tool the mvi test suite uses as an oracle, and unpack
# the two Debian packages the tests need files from (never installed):
#
#   * grub-legacy:      usr/lib/grub/x86_64-pc/stage2_eltorito (GRUB 0.97)
#   * the current versioned kernel package behind linux-image-amd64:
#                       boot/vmlinuz-* and lib/modules/*/ (ufs.ko, virtio)
#
# The unpacked files live in a cache directory outside the repository,
# ${MVI_TEST_CACHE:-/var/cache/mvi-test}, and $CACHE/env records where they
# are, as shell variable lines that the tests read:
#
#   MVI_KERNEL=/.../boot/vmlinuz-6.1.0-NN-amd64
#   MVI_KERNEL_PACKAGE=linux-image-6.1.0-NN-amd64
#   MVI_KERNEL_VERSION=6.1.0-NN-amd64
#   MVI_MODULES_DIR=/.../lib/modules/6.1.0-NN-amd64
#   MVI_STAGE2_ELTORITO=/.../usr/lib/grub/x86_64-pc/stage2_eltorito
#
# Idempotent: when everything is present it only checks and exits (well under
# a second). It exits non-zero, naming what is missing, when anything cannot
# be obtained. Needs root (apt-get) unless everything is already there.
set -euo pipefail

CACHE="${MVI_TEST_CACHE:-/var/cache/mvi-test}"
PACKAGES=(xorriso genisoimage libcdio-utils p7zip-full libarchive-tools
    qemu-system-x86 busybox-static cpio kmod nasm makefs pigz time xz-utils zstd)
# The modules the Linux UFS oracle loads, in load order (see tests/src/ufs_oracle.rs).
MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
    virtio_blk ufs)

say() { printf 'setup-test-deps: %s\n' "$*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}

APT_OPTS=(-q -y -o DPkg::Lock::Timeout=900)
updated=0
apt_update() {
    [[ $updated == 1 ]] && return 0
    say "apt-get update"
    # The lists lock is not covered by DPkg::Lock::Timeout on every apt
    # version: retry while another apt is running.
    local i
    for i in $(seq 1 60); do
        if apt-get "${APT_OPTS[@]}" update >&2; then
            updated=1
            return 0
        fi
        say "apt-get update failed (attempt $i), retrying in 10 s"
        sleep 10
    done
    die "apt-get update keeps failing"
}

# --- 1. Debian packages -----------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    apt_update
    say "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install --no-install-recommends \
        "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
fi
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || die "package $p is not installed"
done
for tool in xorriso genisoimage isoinfo isovfy 7z bsdtar qemu-system-x86_64 cpio insmod nasm \
    makefs pigz xz zstd gcc; do
    command -v "$tool" >/dev/null || die "tool $tool not found on PATH"
done
[[ -x /bin/busybox ]] || die "/bin/busybox (busybox-static) missing"
# The ISO validators run xorriso and bsdtar under LC_ALL=C.UTF-8 (built into
# Debian's glibc since 2.35).
[[ $(LC_ALL=C.UTF-8 locale charmap 2>/dev/null) == UTF-8 ]] ||
    die "the C.UTF-8 locale is not available (needed by the ISO validators)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time missing"
# manifest.c is linked with -static: glibc's static archive must be there.
if ! echo 'int main(void){return 0;}' | gcc -static -x c -o /dev/null - 2>/dev/null; then
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install --no-install-recommends \
        gcc libc6-dev >&2 || die "cannot install gcc/libc6-dev for static linking"
    echo 'int main(void){return 0;}' | gcc -static -x c -o /dev/null - ||
        die "gcc -static does not work"
fi

# --- 2. pycdlib (for the python3 first on PATH) ------------------------------
if ! python3 -c 'import pycdlib' 2>/dev/null; then
    say "pip install pycdlib"
    if ! python3 -m pip install -q pycdlib >&2; then
        # Debian's own python refuses pip installs without this (PEP 668).
        python3 -m pip install -q --break-system-packages pycdlib >&2 ||
            die "pip install pycdlib failed"
    fi
    python3 -c 'import pycdlib' || die "pycdlib still not importable by $(command -v python3)"
fi

# --- 2b. Fuzzing: the nightly toolchain and cargo-fuzz ------------------------
# scripts/fuzz-smoke.sh (run by scripts/test.sh) needs both; see docs/FUZZING.md.
if ! cargo +nightly --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || die "no nightly Rust toolchain and no rustup to install one"
    say "rustup toolchain install nightly"
    rustup toolchain install nightly --profile minimal >&2 ||
        die "rustup toolchain install nightly failed"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    say "cargo install cargo-fuzz --locked"
    cargo install cargo-fuzz --locked >&2 || die "cargo install cargo-fuzz failed"
fi
cargo fuzz --version >/dev/null 2>&1 || die "cargo fuzz is not available after installing it"

# --- 3. Unpacked packages in the cache ---------------------------------------
env_ok() {
    [[ -f $CACHE/env ]] || return 1
    local MVI_KERNEL="" MVI_MODULES_DIR="" MVI_STAGE2_ELTORITO=""
    # shellcheck disable=SC1091
    . "$CACHE/env" || return 1
    [[ -f $MVI_KERNEL && -f $MVI_STAGE2_ELTORITO && -f $MVI_MODULES_DIR/modules.dep ]]
}
if env_ok; then
    say "all test dependencies present (cache $CACHE)"
    exit 0
fi

mkdir -p "$CACHE/debs"
cd "$CACHE/debs"

# Download a package's .deb into $CACHE/debs (once) and print its file name.
download() {
    local pkg=$1 ver deb
    ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
    if [[ -z $ver || $ver == "(none)" ]]; then
        apt_update
        ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
    fi
    [[ -n $ver && $ver != "(none)" ]] || die "apt knows no package $pkg"
    # .deb file names encode an epoch's ':' as %3a.
    deb=$(printf '%s_%s_' "$pkg" "${ver//:/%3a}")
    local found
    found=$(ls -1 "$deb"*.deb 2>/dev/null | head -n1 || true)
    if [[ -z $found ]]; then
        say "apt-get download $pkg=$ver"
        apt-get -q download "$pkg=$ver" >&2 || {
            apt_update
            apt-get -q download "$pkg=$ver" >&2
        } || die "apt-get download $pkg failed"
        found=$(ls -1 "$deb"*.deb 2>/dev/null | head -n1 || true)
        [[ -n $found ]] || die "apt-get download $pkg left no $deb*.deb"
    fi
    printf '%s\n' "$found"
}

# Unpack DEB into DIR atomically (DIR only appears complete).
unpack() {
    local deb=$1 dir=$2
    [[ -d $dir ]] && return 0
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    dpkg-deb -x "$deb" "$dir.tmp" || die "dpkg-deb -x $deb failed"
    mv "$dir.tmp" "$dir"
}

# grub-legacy: stage2_eltorito.
grub_deb=$(download grub-legacy)
grub_dir="$CACHE/${grub_deb%.deb}"
unpack "$grub_deb" "$grub_dir"
stage2="$grub_dir/usr/lib/grub/x86_64-pc/stage2_eltorito"
[[ -f $stage2 ]] || die "$grub_deb has no usr/lib/grub/x86_64-pc/stage2_eltorito"

# The versioned kernel package that linux-image-amd64 depends on.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
if [[ -z $kpkg ]]; then
    apt_update
    kpkg=$(apt-cache depends linux-image-amd64 |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
fi
[[ -n $kpkg ]] || die "apt-cache depends linux-image-amd64 names no linux-image-<version> package"
kdeb=$(download "$kpkg")
kdir="$CACHE/${kdeb%.deb}"
unpack "$kdeb" "$kdir"
kver=${kpkg#linux-image-}
vmlinuz="$kdir/boot/vmlinuz-$kver"
moddir="$kdir/lib/modules/$kver"
[[ -f $vmlinuz ]] || die "$kdeb has no boot/vmlinuz-$kver"
[[ -d $moddir ]] || die "$kdeb has no lib/modules/$kver"
if [[ ! -f $moddir/modules.dep ]]; then
    # Debian generates modules.dep in postinst; do the same here, offline.
    depmod -b "$kdir" "$kver" || die "depmod for $kver failed"
fi
for m in "${MODULES[@]}"; do
    if ! grep -Eq "(^|/)${m}\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" &&
        ! grep -Eq "(^|/)${m}\.ko$" "$moddir/modules.builtin" 2>/dev/null; then
        die "kernel $kver has no module $m (neither in modules.dep nor built in)"
    fi
done

tmp="$CACHE/env.tmp"
{
    echo "# Written by scripts/setup-test-deps.sh; read by the mvi tests."
    echo "MVI_KERNEL=$vmlinuz"
    echo "MVI_KERNEL_PACKAGE=$kpkg"
    echo "MVI_KERNEL_VERSION=$kver"
    echo "MVI_MODULES_DIR=$moddir"
    echo "MVI_STAGE2_ELTORITO=$stage2"
} >"$tmp"
mv "$tmp" "$CACHE/env"
env_ok || die "wrote $CACHE/env but it does not check out"
say "wrote $CACHE/env:"
cat "$CACHE/env" >&2
