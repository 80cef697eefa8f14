#!/usr/bin/env bash
# One database and one login role per service; no role may connect to another's database. admin's role has
# REPLICATION for the Debezium outbox relay (it owns the publication and slot keygate_admin_outbox).
# Runs once, on an empty data directory, as the postgres superuser. Passwords come from the container environment.
set -euo pipefail

create() {
  local name=$1 password=$2 extra=$3
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v role="$name" -v password="$password" <<SQL
CREATE ROLE :"role" LOGIN PASSWORD :'password' $extra;
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
GRANT CONNECT, CREATE, TEMPORARY ON DATABASE :"role" TO :"role";
SQL
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$name" -v role="$name" <<SQL
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO :"role";
SQL
}

create keyvault "${KEYVAULT_DB_PASSWORD:?}" ""
create admin "${ADMIN_DB_PASSWORD:?}" "REPLICATION"
create usage "${USAGE_DB_PASSWORD:?}" ""
