#!/usr/bin/env bash
# keyvault decrypt throughput and p50/p99 latency over mutual TLS, on loopback only.
#   bench/keyvault-decrypt.sh [concurrency=8] [requests=20000] [warmup=3000]
# Builds what is missing, starts PostgreSQL and keyvault-service, runs a bounded number of requests, stops both,
# and writes bench/results/keyvault-decrypt.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ ! -d "${root}/bench/target/lib" || ! -f "${root}/keyvault-service/target/keyvault-service-0.1.0-SNAPSHOT-exec.jar" ]]; then
  (cd "${root}" && ./mvnw -B -q install -DskipTests)
fi
exec java -Dkeygate.root="${root}" -cp "${root}/bench/target/classes:${root}/bench/target/lib/*" \
  dev.keygate.bench.KeyvaultDecryptBenchmark "$@"
