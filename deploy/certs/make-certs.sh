#!/usr/bin/env bash
# Creates the mutual-TLS material docker-compose mounts: a private EC P-256 CA and, per identity, a certificate whose
# SAN URI is spiffe://keygate/<identity> (what keyvault-service's access rules match) and whose DNS names are the
# compose service name and localhost, for both server and client authentication. Also writes a first master keyring.
#
#   deploy/certs/make-certs.sh [output-dir]       (default deploy/certs/out; never commit it)
#
# Re-running keeps an existing CA and master keyring and re-issues the service certificates (valid 90 days).
# Files are written mode 600; the services run as uid 65532, so as root the script hands them to that uid.
set -euo pipefail

out=${1:-"$(dirname "$0")/out"}
days=${KEYGATE_CERT_DAYS:-90}
mkdir -p "$out"
chmod 700 "$out"
umask 077

if [[ ! -f "$out/ca.key.pem" ]]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/ca.key.pem"
  openssl req -x509 -new -key "$out/ca.key.pem" -sha256 -days 3650 -subj "/O=Keygate/CN=Keygate compose CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.crt.pem"
fi

for identity in keyvault-service admin-service proxy-service keyvault-operator; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$identity.key.pem"
  openssl req -new -key "$out/$identity.key.pem" -subj "/O=Keygate/CN=$identity" -out "$out/$identity.csr.pem"
  cat > "$out/$identity.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=URI:spiffe://keygate/$identity,DNS:$identity,DNS:localhost,IP:127.0.0.1
EXT
  openssl x509 -req -in "$out/$identity.csr.pem" -CA "$out/ca.crt.pem" -CAkey "$out/ca.key.pem" -CAcreateserial \
    -days "$days" -sha256 -extfile "$out/$identity.ext" -out "$out/$identity.crt.pem"
  rm -f "$out/$identity.csr.pem" "$out/$identity.ext"
done

if [[ ! -f "$out/master-keys" ]]; then
  printf '1=%s\n' "$(openssl rand -base64 32)" > "$out/master-keys"
fi

chmod 644 "$out/ca.crt.pem"
if [[ $(id -u) == 0 ]]; then
  chown 65532:65532 "$out"/*-service.key.pem "$out"/*-service.crt.pem "$out/master-keys"
fi
echo "wrote $(ls "$out" | tr '\n' ' ')to $out"
echo "keep $out/ca.key.pem offline in production; the services only need ca.crt.pem"
