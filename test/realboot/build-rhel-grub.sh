#!/bin/bash
# Build CentOS 6's own GRUB Legacy, grub-0.97-99.el6, from its source RPM contents (pristine 0.97 + Red Hat's
# patches applied in the spec's order) with this machine's gcc (Debian 12: gcc 12). Nothing of it is copied into
# the repository: the source is read where it lies and the output goes to OUTDIR (the tier's work dir).
#
#   build-rhel-grub.sh SRC_TARBALL OUTDIR  -> OUTDIR/{grub, stage1, stage2, e2fs_stage1_5, build.log}
#
# Needs: gcc-multilib (gcc -m32 and the 32-bit static libc), autoconf, automake, texinfo, patch, xz-utils.
#
# The spec's own build (grub.spec %build, the BIOS half) is:
#   CFLAGS="-Os -g -fno-strict-aliasing -Wall -Werror -Wno-shadow -Wno-unused -static"
#   %configure --sbindir=/sbin --disable-auto-linux-mem-opt
# Red Hat's configure.in prepends -m32 on x86_64, so stage1/stage1.5/stage2 and the grub shell are all 32-bit, and
# the shell is linked statically (-static): /sbin/grub on CentOS 6 x86_64 is a static i386 program.
# What differs here, and why (each one is needed with gcc 12 / binutils 2.40 / glibc 2.36):
#   --host=i686-pc-linux-gnu --build=x86_64-pc-linux-gnu
#       configure as a cross build: configure.in only adds -m32 when host_cpu is x86_64 *and* it then runs its
#       test programs; as a cross build its conftests are compiled, not run, and -m32 comes from CFLAGS below.
#   CC=gcc, -m32 in CFLAGS
#       the 32-bit compiler without an i686-pc-linux-gnu-gcc; having -m32 in CFLAGS (not only in CC) also makes
#       configure's `LIBGCC=$(gcc $CFLAGS -print-libgcc-file-name)` pick the 32-bit libgcc.a, which the stages
#       need for 64-bit division (__udivmoddi4, __umoddi3); with the 64-bit one the link fails.
#   -fno-stack-protector   Debian's gcc turns the stack protector on by default; stage2 has no __stack_chk_fail.
#   -fno-pie -no-pie       Debian's gcc builds PIE by default; the stages are linked at fixed addresses.
#   -fcommon               gcc 10+ defaults to -fno-common; GRUB 0.97 defines the same globals in several files.
#   (no -Werror)           gcc 12 warns about code that gcc 4.4 accepted; the warnings are not errors to fix here.
#   --without-curses       the shell's full-screen menu is not used (only `--batch`), and a static ncurses is
#                          not needed.
set -euo pipefail
SRC=$1; OUT=$2
B=$(mktemp -d "${TMPDIR:-/tmp}/dom0up-rhgrub.XXXXXX"); trap 'rm -rf "$B"' EXIT
tar -xJf "$SRC" -C "$B"
S=$(dirname "$(find "$B" -maxdepth 2 -name grub.spec | head -1)")
[ -f "$S/grub.spec" ] || { echo "build-rhel-grub: no grub.spec in $SRC" >&2; exit 1; }
cd "$S/src"
n=0
for p in $(sed -n 's/^Patch\([0-9]*\): *\(.*\)/\1 \2/p' ../grub.spec | sort -n | awk '{print $2}'); do
  patch -p1 -s < "../$p"; n=$((n + 1))
done
{
  echo "== $n patches applied in spec order"
  autoreconf -fi
  CC=gcc CFLAGS="-m32 -Os -g -fno-strict-aliasing -Wall -Wno-shadow -Wno-unused -static -fno-stack-protector -fno-pie -no-pie -fcommon" \
    ./configure --host=i686-pc-linux-gnu --build=x86_64-pc-linux-gnu --sbindir=/sbin --disable-auto-linux-mem-opt --without-curses
  make -j"$(nproc)"
} > "$B/build.log" 2>&1 || { tail -n 40 "$B/build.log" >&2; exit 1; }
mkdir -p "$OUT"
cp grub/grub stage1/stage1 stage2/stage2 stage2/e2fs_stage1_5 "$OUT/"
cp "$B/build.log" "$OUT/build.log"
echo "built grub-0.97-99.el6 ($n patches) into $OUT"
