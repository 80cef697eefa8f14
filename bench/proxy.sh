#!/usr/bin/env bash
# Proxy load run on loopback: direct-to-fake-provider vs nginx vs a bare Reactor Netty proxy vs Keygate's proxy (px_
# auth, keyvault lease, usage events to Kafka), with wrk, alternating targets; writes bench/results/proxy.md.
#   bench/proxy.sh [--duration=10] [--warmup=20] [--soak=600]
# --duration: seconds per measured cell (16 cells). --warmup: at least this many seconds of unmeasured load on Keygate
# before the cells, more (up to 4x) while the proxy's JIT compiler threads still take over 10% of its CPU; direct and
# nginx get half as much, the bare Reactor Netty proxy as much. The defaults give 6-8 minutes in all, start-up
# included. --soak: an extra
# Keygate run of that many seconds at 32 connections, sampling the proxy's RSS (the issue's soak is --soak=600).
# KEYGATE_BENCH_JFR=/tmp/proxy.jfr records the proxy during the measured cells; BENCH_PROXY_<NAME>=value sets
# <NAME> in the proxy's environment. MAVEN_ARGS (e.g. -Dmaven.repo.local=...) reaches the build below.
# Builds what is missing or out of date (package only, never install), starts a bench provider, nginx, PostgreSQL,
# Kafka, keyvault-service and proxy-service on free loopback ports, and stops all of them at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for tool in wrk nginx; do
  if ! command -v "${tool}" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/${tool}" ]]; then
    echo "${tool} is missing: apt-get install -y ${tool}" >&2
    exit 1
  fi
done
stale() {
  local jar="$1"; shift
  [[ ! -f "${jar}" ]] && return 0
  [[ -n "$(find "$@" -newer "${jar}" -type f -print -quit 2>/dev/null)" ]]
}
if stale "${root}/proxy-service/target/proxy-service-0.1.0-SNAPSHOT-exec.jar" "${root}/proxy-service/src/main" "${root}/common-contracts/src/main" \
   || stale "${root}/keyvault-service/target/keyvault-service-0.1.0-SNAPSHOT-exec.jar" "${root}/keyvault-service/src/main" \
   || stale "${root}/bench/target/classes/dev/keygate/bench/ProxyBenchmark.class" "${root}/bench/src/main" \
   || [[ ! -d "${root}/bench/target/lib" ]]; then
  (cd "${root}" && ./mvnw -B -q -pl bench -am package -DskipTests)
fi
exec java -Dkeygate.root="${root}" -cp "${root}/bench/target/classes:${root}/bench/target/lib/*" \
  dev.keygate.bench.ProxyBenchmark "$@"
