#!/usr/bin/env bash
# Builds, without Docker or any registry, the root filesystem of Keygate's base image: a jlink'd Java 17 runtime,
# the few shared libraries it links against, CA certificates, a non-root user (65532) and a static busybox for the
# health-check command (as distroless's :debug images carry one). Jib then layers each service on top of it,
# starting from "scratch" (see the "images" profile in the root pom.xml).
#
#   deploy/images/build-base-rootfs.sh [output-dir]     (default deploy/images/target/base-rootfs)
#
# Needs: a JDK 17 with jmods (Debian's openjdk-17-jdk-headless has them), and busybox-static, which it fetches with
# "apt-get download" when /bin/busybox is not a static binary. The libraries come from this (Debian) machine, so the
# image is as patched as the machine that builds it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/target/base-rootfs"}
java_home=${KEYGATE_IMAGE_JDK:-${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}}

version=$("$java_home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [[ "$version" != "17" ]]; then
  echo "need a JDK 17 (found $version at $java_home); set KEYGATE_IMAGE_JDK" >&2
  exit 1
fi
if [[ ! -d "$java_home/jmods" ]]; then
  echo "$java_home has no jmods; install openjdk-17-jdk-headless or set KEYGATE_IMAGE_JDK" >&2
  exit 1
fi

rm -rf "$out"
mkdir -p "$out"/{etc,tmp,busybox,opt,proc}

# Modules Spring Boot 4, Hibernate, the PostgreSQL driver, Kafka clients, Debezium, Reactor Netty and the Keycloak
# admin client need at run time (jdeps over the fat jars, widened by what reflection loads: naming, sql, management,
# instrument, security modules, EC and SCRAM crypto, DNS, zipfs).
modules=java.base,java.compiler,java.datatransfer,java.desktop,java.instrument,java.logging,java.management,\
java.management.rmi,java.naming,java.net.http,java.prefs,java.rmi,java.scripting,java.security.jgss,\
java.security.sasl,java.sql,java.sql.rowset,java.transaction.xa,java.xml,java.xml.crypto,jdk.crypto.cryptoki,\
jdk.crypto.ec,jdk.httpserver,jdk.jfr,jdk.management,jdk.management.agent,jdk.naming.dns,jdk.net,\
jdk.security.auth,jdk.security.jgss,jdk.unsupported,jdk.zipfs,jdk.localedata
"$java_home/bin/jlink" --module-path "$java_home/jmods" --add-modules "$modules" --include-locales=en \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/opt/java.tmp"
# Debian's JDK keeps some security files as symlinks into /etc: copy what they point at.
cp -rL "$out/opt/java.tmp" "$out/opt/java"
rm -rf "$out/opt/java.tmp"
if [[ ! -s "$out/opt/java/lib/security/cacerts" ]]; then
  cp -L "$java_home/lib/security/cacerts" "$out/opt/java/lib/security/cacerts"
fi

# Headless services: drop the AWT, sound and font natives, which would pull X11, ALSA and FreeType into the image.
find "$out/opt/java/lib" -maxdepth 1 \( -name 'libawt_xawt.so' -o -name 'libsplashscreen.so' -o -name 'libjsound.so' \
  -o -name 'libfontmanager.so' -o -name 'liblcms.so' -o -name 'libjavajpeg.so' \) -delete

# Shared libraries of the runtime, with the dynamic loader, copied as files (no symlinks) to where ldd found them.
copy_lib() {
  local lib=$1
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
}
while read -r lib; do
  copy_lib "$lib"
done < <(find "$out/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0 \
          | xargs -0 -n1 ldd 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | grep -v "^$out/" | sort -u)
copy_lib /lib64/ld-linux-x86-64.so.2
# Name resolution (glibc loads these by name, not through ldd).
for lib in /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libnss_files.so.2 \
           /lib/x86_64-linux-gnu/libresolv.so.2; do
  [[ -e $lib ]] && copy_lib "$lib"
done

# A static busybox, for "wget" in health checks and a shell when debugging.
busybox=""
if [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1; then
  busybox=/bin/busybox
else
  work=$(mktemp -d)
  # A fresh machine may have no package lists yet: fetch them once if the first download fails.
  (cd "$work" && chmod 777 . && { apt-get download -q busybox-static >/dev/null 2>&1 \
     || { apt-get update -qq && apt-get download -q busybox-static >/dev/null; }; } \
     && dpkg-deb -x busybox-static_*.deb root)
  busybox="$work/root/bin/busybox"
fi
cp "$busybox" "$out/busybox/busybox"
# No applet symlinks (Jib copies a symlink's target): call it as "/busybox/busybox wget ...".

cat > "$out/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat > "$out/etc/group" <<GROUP
root:x:0:
nonroot:x:65532:
GROUP
printf 'hosts: files dns\n' > "$out/etc/nsswitch.conf"
mkdir -p "$out/home/nonroot"

if [[ $(id -u) == 0 ]] && command -v chroot >/dev/null; then
  # Proves the tree is self-contained: the runtime starts with nothing but these files, as uid 65532.
  # (glibc finds the runtime's libraries through /proc/self/exe, so mount a private /proc for the check.)
  unshare --mount --fork sh -c "mount -t proc proc '$out/proc' && chroot --userspec=65532:65532 '$out' \
    /opt/java/bin/java -XX:+ExitOnOutOfMemoryError -version" 2>&1 | head -1 \
    || echo "warning: could not start the runtime in a chroot (unshare/mount not permitted here)" >&2
fi
du -sh "$out" | sed 's/^/base root filesystem: /'
