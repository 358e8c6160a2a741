#!/usr/bin/env bash
# Benchmarks of issue 9 (bench/IntegrationHub.Benchmarks, not part of IntegrationHub.sln):
#   scripts/bench.sh [ceilings|micro|bigfile|all]   (default: all)
# Builds in Release, runs the chosen parts and writes docs/benchmarks/latest.md and docs/benchmarks/latest.json.
# The RabbitMQ ceiling needs HUB_TEST_RABBITMQ (amqp URI); without it, or when the broker fails, that ceiling is
# reported as FAILED with its reason and the script exits 2 after writing the report. To get a broker:
#   scripts/test-servers.sh start /tmp/srv-bench && source /tmp/srv-bench/env   (scripts/test-servers.sh stop /tmp/srv-bench)
# bigfile: the hub's peak resident memory while one 100 MB attachment goes from intake to the target (a fresh hub process
# per run, built from src/IntegrationHub.Host); embedded profile, and servers too when HUB_TEST_RABBITMQ is set.
# Extra arguments go to the ceilings mode: --runs R --iterations N --warmup W --targets T --sets S --messages M --window W --classic
set -euo pipefail
what=${1:-all}
[[ $# -gt 0 ]] && shift
case "$what" in ceilings|micro|bigfile|all) ;; *) echo "usage: $0 [ceilings|micro|bigfile|all] [ceilings options]" >&2; exit 64 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
project="$root/bench/IntegrationHub.Benchmarks/IntegrationHub.Benchmarks.csproj"
out=$(mktemp -d "${TMPDIR:-/tmp}/integrationhub-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "[bench] building (Release)"
dotnet build "$project" -c Release --nologo -v quiet -o "$out/bin" >/dev/null
if [[ $what == bigfile || $what == all ]]; then
  dotnet build "$root/src/IntegrationHub.Host" -c Release --nologo -v quiet -o "$out/host" >/dev/null
fi
run() { dotnet "$out/bin/IntegrationHub.Benchmarks.dll" "$@"; }

status=0
if [[ $what == ceilings || $what == all ]]; then
  run ceilings --out "$out/ceilings.json" "$@" || status=$?
fi
if [[ $what == micro || $what == all ]]; then
  (cd "$out" && run micro --out "$out/micro.json") || status=$?
fi
if [[ $what == bigfile || $what == all ]]; then
  profiles=embedded
  [[ -n ${HUB_TEST_RABBITMQ:-} ]] && profiles=embedded,servers
  run bigfile --host "$out/host/IntegrationHub.Host.dll" --profiles "$profiles" --out "$out/bigfile.json" || status=$?
fi
run report --ceilings "$out/ceilings.json" --micro "$out/micro.json" --bigfile "$out/bigfile.json" --out "$root/docs/benchmarks"
[[ $status -eq 0 ]] || echo "[bench] a part failed (exit $status); see the report" >&2
exit $status
