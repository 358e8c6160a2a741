#!/usr/bin/env bash
# Runs every test suite of IntegrationHub and ends with one line "Tests: N passed, N failed, N skipped".
#   ./test.sh          all suites; provisions and starts RabbitMQ, PostgreSQL and Azurite on 127.0.0.1
#                      (installing them with apt/npm when absent) and stops them at the end
#   ./test.sh --fast   contract, unit and embedded end-to-end suites only: no servers (quick check while developing)
# Both install Debian's Chromium when absent: the operations console's browser test drives it (it fails without it).
set -uo pipefail
cd "$(dirname "$0")"

fast=false
[[ "${1:-}" == "--fast" ]] && fast=true

run_dir="$PWD/.test-run"
rm -rf "$run_dir" && mkdir -p "$run_dir/results"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Playwright drives the installed Chromium; it must never download browsers.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
scripts/ensure-chromium.sh || echo "Without Chromium the browser test (ConsoleBrowserTests) fails."

# suite = project[:name[:environment[:filter]]]; the onboarding scale test (Category Scale) runs once, on the servers profile
suites=(tests/IntegrationHub.Contracts.Tests tests/IntegrationHub.UnitTests "tests/IntegrationHub.EndToEndTests:::Category!=Scale")
if ! $fast; then
  suites+=("tests/IntegrationHub.EndToEndTests:IntegrationHub.EndToEndTests.OnServers:HUB_E2E_PROFILE=servers")
  suites+=(tests/IntegrationHub.InfrastructureTests)
  servers="$run_dir/servers"
  trap 'scripts/test-servers.sh stop "$servers"' EXIT
  if ! scripts/test-servers.sh start "$servers"; then
    echo "The test servers could not be started (see $servers)."
    echo "Tests: 0 passed, 1 failed"
    exit 1
  fi
  # shellcheck disable=SC1091
  source "$servers/env"
fi
# The end-to-end suites' hubs log into HUB_E2E_LOG_CAPTURE/<profile>; the privacy suite, after them, scans it for personal data.
export HUB_E2E_LOG_CAPTURE="$run_dir/log-capture"
suites+=("tests/IntegrationHub.PrivacyTests::HUB_LOG_SCAN_PROFILES=$($fast && echo embedded || echo embedded,servers)")

echo "== Building"
# The build's own exit status decides (a pipeline's status is gone after an if); its errors and warnings are shown.
dotnet build IntegrationHub.sln -c Release -nologo -v quiet > "$run_dir/build.log" 2>&1
build_status=$?
grep -E "error|warning" "$run_dir/build.log"
if [[ $build_status -ne 0 ]]; then
  echo "The build failed (see $run_dir/build.log)."
  echo "Tests: 0 passed, 1 failed"
  exit 1
fi

status=0
for entry in "${suites[@]}"; do
  IFS=: read -r suite name environment filter <<<"$entry"
  name=${name:-$(basename "$suite")}
  echo "== $name"
  env ${environment:-} dotnet test "$suite" -c Release --no-build -nologo ${filter:+--filter "$filter"} \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$run_dir/results" || status=1
  [[ -f "$run_dir/results/$name.trx" ]] || { echo "$name produced no results"; status=1; }
done

# Sum the counters of every suite's TRX file.
passed=0; failed=0; skipped=0
for trx in "$run_dir"/results/*.trx; do
  [[ -f "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
  f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
  t=$(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$counters")
  e=$(sed -E 's/.* executed="([0-9]+)".*/\1/' <<<"$counters")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + t - e))
done
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "Tests: $passed passed, $failed failed, $skipped skipped"
[[ $status -eq 0 && $failed -eq 0 && $passed -gt 0 ]]
