#!/usr/bin/env bash
# The uprobe per secret, on OpenSSL's key-log function, which a library gets
# when the end of its handshakes cannot be established: forced for every
# library, the whole of test_tls_decrypt.sh must pass as with the uprobe per
# handshake.
export ECAP_TLS_PER_SECRET=1
exec bash "$(dirname "$0")/test_tls_decrypt.sh"
