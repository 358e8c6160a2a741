#!/usr/bin/env bash
# Benchmarks of issue 9 (bench/IntegrationHub.Benchmarks, not part of IntegrationHub.sln):
#   scripts/bench.sh [all|ceilings|micro|e2e|bigfile|replay] [--quick]   (default: all)
# Builds the benchmarks and the hub's host in Release, runs the chosen parts and writes docs/benchmarks/latest.md and
# docs/benchmarks/latest.json (only the parts of this run: the ratios compare figures measured in the same run).
# RabbitMQ, PostgreSQL and Azurite: taken from HUB_TEST_* when set, else started here with scripts/test-servers.sh (in a
# folder of this run, installed from apt/npm when absent) and stopped at the end. The servers profile, ceiling (b) and
# the servers replay need them; a part that fails is reported as FAILED with its reason, and the script exits 2.
# --quick: small counts and one run per part, to try the harness (the figures are not for the report).
# The CPU profile of the end-to-end section needs Linux perf (apt-get install linux-perf); without it that table is left out.
set -euo pipefail
what=all
quick=false
for arg in "$@"; do
  case "$arg" in
    all|ceilings|micro|e2e|bigfile|replay) what=$arg ;;
    --quick) quick=true ;;
    *) echo "usage: $0 [all|ceilings|micro|e2e|bigfile|replay] [--quick]" >&2; exit 64 ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/integrationhub-bench.XXXXXX")
servers=""
cleanup() {
  [[ -n $servers ]] && "$root/scripts/test-servers.sh" stop "$servers" || true
  rm -rf "$out"
}
trap cleanup EXIT
part() { [[ $what == all || $what == "$1" ]]; }

echo "[bench] building (Release)"
dotnet build "$root/bench/IntegrationHub.Benchmarks/IntegrationHub.Benchmarks.csproj" -c Release --nologo -v quiet -o "$out/bin" >/dev/null
dotnet build "$root/src/IntegrationHub.Host/IntegrationHub.Host.csproj" -c Release --nologo -v quiet -o "$out/host" >/dev/null
run() { dotnet "$out/bin/IntegrationHub.Benchmarks.dll" "$@"; }

if [[ -z ${HUB_TEST_RABBITMQ:-} ]] && (part ceilings || part e2e || part bigfile || part replay); then
  servers="$out/servers"
  if "$root/scripts/test-servers.sh" start "$servers"; then
    # shellcheck disable=SC1091
    source "$servers/env"
  else
    echo "[bench] the servers did not start: the parts that need them are reported as FAILED" >&2
  fi
fi
profiles=embedded
[[ -n ${HUB_TEST_RABBITMQ:-} ]] && profiles=embedded,servers

if $quick; then
  ceilings=(--runs 2 --iterations 10 --warmup 3 --messages 2000)
  e2e=(--runs 1 --rate 10 --rate-seconds 5 --count 60 --warmup 40)
  bigfile=(--runs 1 --attachment-mb 20)
  replay=(--count 1000 --runs 1 --warmup 100)
else
  ceilings=() e2e=() bigfile=() replay=()
fi

status=0
if part ceilings; then run ceilings "${ceilings[@]}" --out "$out/ceilings.json" || status=$?; fi
if part micro; then (cd "$out" && run micro --out "$out/micro.json") || status=$?; fi
if part e2e; then
  run e2e --host "$out/host/IntegrationHub.Host.dll" --profiles "$profiles" "${e2e[@]}" --out "$out/e2e.json" || status=$?
fi
if part bigfile; then
  run bigfile --host "$out/host/IntegrationHub.Host.dll" --profiles "$profiles" "${bigfile[@]}" --out "$out/bigfile.json" || status=$?
fi
if part replay; then
  for profile in ${profiles//,/ }; do run replay --profile "$profile" "${replay[@]}" --out "$out/replay-$profile.json" || status=$?; done
fi
run report --ceilings "$out/ceilings.json" --micro "$out/micro.json" --e2e "$out/e2e.json" --bigfile "$out/bigfile.json" \
  --replay "$out/replay-embedded.json,$out/replay-servers.json" --out "$root/docs/benchmarks"
[[ $status -eq 0 ]] || echo "[bench] a part failed (exit $status); see the report" >&2
exit $status
