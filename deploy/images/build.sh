#!/usr/bin/env bash
# The four service images as OCI tarballs, with no Docker daemon and no registry:
#   <service>/target/jib/<service>-image.tar
# 1. the base root filesystem (jlink'd JDK 17 runtime, glibc, busybox, uid 65532), 2. Jib's buildTar on "scratch".
# Extra Maven arguments pass through, e.g. deploy/images/build.sh -Dkeygate.image.prefix=registry.example/keygate
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/deploy/images/build-base-rootfs.sh"
cd "$root"
./mvnw -B -Pimages -DskipTests -pl keyvault-service,admin-service,proxy-service,usage-service -am package "$@"
images=(keyvault-service/target/jib/keyvault-service-image.tar admin-service/target/jib/admin-service-image.tar
        proxy-service/target/jib/proxy-service-image.tar usage-service/target/jib/usage-service-image.tar)
ls -l "${images[@]}"
# User 65532, JVM flags, no setuid or world-writable files, and java starting inside each image as uid 65532.
python3 "$root/deploy/images/verify-image.py" "${images[@]}"
