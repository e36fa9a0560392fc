#!/usr/bin/env bash
# gen-dev-certs.sh makes a development CA and the certificates of mutual TLS
# to the Temporal frontend, in DIR (default deploy/compose/certs):
#   ca.pem, ca-key.pem             the CA (keep ca-key.pem out of every container)
#   temporal.pem, temporal-key.pem the Temporal server (frontend and between its
#                                  services: server and client use)
#   complaints.pem, -key.pem       the API and the workers (client use)
#   temporal-ui.pem, -key.pem      the Temporal UI (client use)
# Only holders of a certificate from this CA reach the frontend. For
# production use your own CA (cert-manager in Kubernetes); the names the
# server certificate holds are in SERVER_NAMES.
set -euo pipefail
dir=${1:-$(dirname "$0")/../compose/certs}
days=${DAYS:-825}
names=${SERVER_NAMES:-DNS:temporal,DNS:localhost,DNS:temporal-frontend,DNS:temporal-frontend.temporal.svc.cluster.local,IP:127.0.0.1}
mkdir -p "$dir"
cd "$dir"
if [ ! -f ca.pem ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
    -subj "/CN=complaints dev CA" -keyout ca-key.pem -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
issue() { # name usage [subjectAltName]
  local name=$1 usage=$2 san=${3:-}
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
    -keyout "$name-key.pem" -out "$name.csr" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=$usage"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}
issue temporal serverAuth,clientAuth "$names"
issue complaints clientAuth
issue temporal-ui clientAuth
# The containers run as non-root users: the keys must be readable by them.
chmod 0644 ./*.pem
chmod 0600 ca-key.pem
echo "certificates in $dir"
