#!/usr/bin/env bash
# Benchmarks of issue 9 (bench/IntegrationHub.Benchmarks, not part of IntegrationHub.sln):
#   scripts/bench.sh [ceilings|micro|replay|all]   (default: all)
# Builds in Release, runs the chosen parts and writes docs/benchmarks/latest.md and docs/benchmarks/latest.json.
# The RabbitMQ ceiling needs HUB_TEST_RABBITMQ (amqp URI); without it, or when the broker fails, that ceiling is
# reported as FAILED with its reason and the script exits 2 after writing the report. To get a broker:
#   scripts/test-servers.sh start /tmp/srv-bench && source /tmp/srv-bench/env   (scripts/test-servers.sh stop /tmp/srv-bench)
# The replay of 10,000 failed messages runs on the embedded profile, and on the servers profile when HUB_TEST_RABBITMQ is set.
# Extra arguments go to the ceilings mode: --runs R --iterations N --warmup W --targets T --sets S --messages M --window W --classic
set -euo pipefail
what=${1:-all}
[[ $# -gt 0 ]] && shift
case "$what" in ceilings|micro|replay|all) ;; *) echo "usage: $0 [ceilings|micro|replay|all] [ceilings options]" >&2; exit 64 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
project="$root/bench/IntegrationHub.Benchmarks/IntegrationHub.Benchmarks.csproj"
out=$(mktemp -d "${TMPDIR:-/tmp}/integrationhub-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "[bench] building (Release)"
dotnet build "$project" -c Release --nologo -v quiet -o "$out/bin" >/dev/null
run() { dotnet "$out/bin/IntegrationHub.Benchmarks.dll" "$@"; }

status=0
if [[ $what == ceilings || $what == all ]]; then
  run ceilings --out "$out/ceilings.json" "$@" || status=$?
fi
if [[ $what == micro || $what == all ]]; then
  (cd "$out" && run micro --out "$out/micro.json") || status=$?
fi
if [[ $what == replay || $what == all ]]; then
  run replay --profile embedded --out "$out/replay-embedded.json" || status=$?
  if [[ -n ${HUB_TEST_RABBITMQ:-} ]]; then run replay --profile servers --out "$out/replay-servers.json" || status=$?; fi
fi
run report --ceilings "$out/ceilings.json" --micro "$out/micro.json" --replay "$out/replay-embedded.json,$out/replay-servers.json" --out "$root/docs/benchmarks"
[[ $status -eq 0 ]] || echo "[bench] a part failed (exit $status); see the report" >&2
exit $status
