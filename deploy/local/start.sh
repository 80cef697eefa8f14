#!/usr/bin/env bash
# Starts Keygate on this machine, without Docker: PostgreSQL, Kafka, Keycloak, the PKI, the fake LLM provider and
# the four services on fixed loopback ports, with all state in <repository>/.keygate. Ctrl-C stops everything.
#
#   deploy/local/start.sh [--rebuild | --no-build] [--no-demo] [--without <service>] [--help]
#
# Builds the project first when a service's jar or the launcher's classpath is missing (or with --rebuild).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${script_dir}/../.." && pwd)"
local_target="${root}/deploy/local/target"

build=auto
launcher_args=()
without=","
expect_without=false
for argument in "$@"; do
  if [[ "${expect_without}" == true ]]; then
    without+="${argument},"
    expect_without=false
  fi
  case "${argument}" in
    --rebuild) build=always; continue ;;
    --no-build) build=never; continue ;;
    --without) expect_without=true ;;
    --without=*) without+="${argument#--without=}," ;;
  esac
  launcher_args+=("${argument}")
done

java_bin="java"
if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
  java_bin="${JAVA_HOME}/bin/java"
fi
if ! command -v "${java_bin}" >/dev/null 2>&1; then
  echo "start.sh: no java found (Java 17 or later is needed); set JAVA_HOME or put java on the PATH" >&2
  exit 1
fi

version="$(sed -n 's/^keygate.version=//p' "${local_target}/classes/keygate-local.properties" 2>/dev/null || true)"
version="${version:-0.1.0-SNAPSHOT}"

missing=()
[[ -f "${local_target}/classes/dev/keygate/local/LocalStack.class" ]] || missing+=("deploy/local/target/classes")
[[ -d "${local_target}/lib" ]] || missing+=("deploy/local/target/lib")
for service in keyvault-service admin-service usage-service proxy-service; do
  # A service left out with --without needs no jar.
  if [[ "${without}" == *",${service},"* || "${without}" == *",${service%-service},"* ]]; then
    continue
  fi
  jar="${root}/${service}/target/${service}-${version}-exec.jar"
  [[ -f "${jar}" ]] || missing+=("${service}/target/${service}-${version}-exec.jar")
done

if [[ "${build}" == always || ( "${build}" == auto && ${#missing[@]} -gt 0 ) ]]; then
  if [[ "${build}" == auto ]]; then
    echo "start.sh: building, since these are missing: ${missing[*]}"
  fi
  (cd "${root}" && ./mvnw -B -q install -DskipTests)
elif [[ ${#missing[@]} -gt 0 ]]; then
  echo "start.sh: not building (--no-build), although these are missing: ${missing[*]}" >&2
fi

# exec: the JVM replaces this shell, so Ctrl-C reaches the launcher, which stops everything in order.
exec "${java_bin}" -Dkeygate.root="${root}" \
  -cp "${local_target}/classes:${local_target}/lib/*" \
  dev.keygate.local.LocalStack ${launcher_args[@]+"${launcher_args[@]}"}
