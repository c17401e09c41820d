#!/bin/sh
# DNS-01 hook for [acme] certificates with `dns_hook = { present = "./dns-hook.sh present",
# cleanup = "./dns-hook.sh cleanup" }` (see acme.toml). weir runs it through /bin/sh in the config
# file's folder, with the challenge in the environment:
#   WEIR_ACME_RECORD  the TXT record's name, e.g. "_acme-challenge.w.weir.test."
#   WEIR_ACME_VALUE   the TXT value the CA will look for
#   WEIR_ACME_NAME    the certificate name being validated, e.g. "*.w.weir.test"
# Exit status 0 means the record is published (present) or removed (cleanup); anything else fails the
# attempt, which weir reports and retries later.
#
# This one publishes the record in pebble-challtestsrv, the DNS server the tests point pebble at, through
# its management API (POST /set-txt, /clear-txt). Set WEIR_CHALLTESTSRV when it does not listen on
# challtestsrv's default management address. For a real zone, put your DNS provider's API call here, or
# use `rfc2136 = { ... }` instead of a hook when your server accepts TSIG-signed dynamic updates.
set -eu

api="${WEIR_CHALLTESTSRV:-http://127.0.0.1:8055}"
: "${WEIR_ACME_RECORD:?WEIR_ACME_RECORD is not set (run by weir)}"

case "${1:-}" in
present)
  : "${WEIR_ACME_VALUE:?WEIR_ACME_VALUE is not set (run by weir)}"
  curl -sS --fail --max-time 10 -X POST \
    -d "{\"host\":\"${WEIR_ACME_RECORD}\",\"value\":\"${WEIR_ACME_VALUE}\"}" "${api}/set-txt"
  ;;
cleanup)
  curl -sS --fail --max-time 10 -X POST -d "{\"host\":\"${WEIR_ACME_RECORD}\"}" "${api}/clear-txt"
  ;;
*)
  echo "usage: $0 present|cleanup" >&2
  exit 2
  ;;
esac
