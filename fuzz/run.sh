#!/usr/bin/env bash
# Builds the fuzz targets and runs them, each seeded with the committed fixtures.
#
#   fuzz/run.sh                         every target, 1,000,000 executions each (the record)
#   FUZZ_RUNS=20000 fuzz/run.sh jsonl   one target, 20,000 executions
#   FUZZ_SECONDS=10 fuzz/run.sh         every target for 10 s (CI: the targets keep building)
#
# Each run ends with a line `target=NAME runs=N seconds=S result=ok|crash`; a crash leaves the
# input in fuzz/artifacts/NAME/ (replay: cargo +nightly fuzz run -O -s none NAME that-file) and
# the script exits non-zero. Needs the nightly toolchain and cargo-fuzz (installed if missing).
set -euo pipefail
cd "$(dirname "$0")"
root=..

# cargo-fuzz needs a nightly compiler: the installed nightly, else one fetched, else the stable
# compiler told to accept nightly flags (RUSTC_BOOTSTRAP), as a machine without rustup's
# servers must.
toolchain=+nightly
if ! cargo +nightly --version >/dev/null 2>&1 && ! rustup toolchain install nightly --profile minimal; then
  toolchain=+stable
  export RUSTC_BOOTSTRAP=1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi

all=(analyst_query instant_query query_string search_json cursor credentials jsonl reuters_sgml feed html_page
  text_page dates entities)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

# Memory and time per input: libFuzzer stops with a report past either.
limits=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10)
runs=${FUZZ_RUNS:-1000000}
budget=()
if [ -n "${FUZZ_SECONDS:-}" ]; then budget=(-max_total_time="$FUZZ_SECONDS"); else budget=(-runs="$runs"); fi

# The fuzzing build: no sanitizer (the code under test is safe Rust), release (-O) with debug
# info, debug assertions and overflow checks on in tidings itself (fuzz/Cargo.toml's profile).
cargo $toolchain fuzz build -O -s none

# A seed: the choice byte the target reads first, then the file.
seed() { # target choice-byte file
  local out="corpus/$1/seed-$(basename "$3")-$2"
  { printf "\\x$2"; cat "$3"; } >"$out"
}

prepare() {
  local target=$1
  mkdir -p "corpus/$target"
  if [ -d "seeds/$target" ]; then cp -n seeds/"$target"/* "corpus/$target/"; fi
  case $target in
    jsonl) cp -n "$root"/tests/fixtures/jsonl/*.jsonl "corpus/$target/" ;;
    reuters_sgml) cp -n "$root"/tests/fixtures/reuters/*.sgm "$root"/tests/fixtures/reuters-entities/reut2-000.sgm \
      "corpus/$target/" ;;
    feed) cp -n "$root"/tests/fixtures/feeds/*.{xml,atom,rss,json} "corpus/$target/" ;;
    html_page)
      for page in "$root"/tests/fixtures/pages/*.html.gz; do
        { printf '\x01'; gzip -dc "$page"; } >"corpus/$target/$(basename "$page" .gz)"
      done ;;
    text_page)
      seed text_page 00 "$root"/tests/fixtures/seed/kremlin-trump-putin-meeting.txt
      seed text_page 02 "$root"/tests/fixtures/jsonl/articles.jsonl
      seed text_page 22 "$root"/tests/fixtures/jsonl/malformed.jsonl
      seed text_page 03 "$root"/tests/fixtures/reuters/broken.sgm
      seed text_page 04 "$root"/tests/fixtures/feeds/rss-parser__encoding.rss
      seed text_page 05 "$root"/tests/fixtures/feeds/jsonfeed.json
      seed text_page 07 "$root"/tests/fixtures/feeds/node-feedparser__iconv.xml
      { printf '\x01'; gzip -dc "$root"/tests/fixtures/pages/14cc2a0ca59c.html.gz; } >"corpus/$target/seed-page"
      { printf '\x08'; gzip -c "$root"/tests/fixtures/jsonl/articles.jsonl; } >"corpus/$target/seed-gz" ;;
    entities)
      cp -n "$root"/tests/fixtures/seed/kremlin-trump-putin-meeting.txt "corpus/$target/"
      python3 - "$root/tests/fixtures/jsonl/near-duplicates.jsonl" "corpus/$target" <<'EOF'
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    article = json.loads(line)
    open(f"{sys.argv[2]}/seed-{n}", "w", encoding="utf-8").write(article.get("title", "") + "\n" + article.get("body", ""))
EOF
      ;;
  esac
  # Real queries from the query log, when ../shared/data is there (local runs).
  local log="$root/../shared/data/query-log-aol-sbg/queries.txt"
  if [ -f "$log" ] && { [ "$target" = analyst_query ] || [ "$target" = instant_query ]; }; then
    head -n 300 "$log" | cut -f1 | awk -v dir="corpus/$target" 'length($0) > 0 { printf "%s", $0 > (dir "/log-" NR); close(dir "/log-" NR) }'
  fi
}

max_len() {
  case $1 in
    analyst_query | instant_query | query_string | search_json | cursor | credentials | dates) echo 4096 ;;
    # Each execution parses a whole document: a few KB reach every construct and keep a
    # million executions within minutes.
    entities) echo 2048 ;;
    *) echo 16384 ;;
  esac
}

dict() {
  case $1 in
    analyst_query | instant_query) echo dicts/query.dict ;;
    query_string | search_json) echo dicts/params.dict ;;
    feed | html_page | text_page | reuters_sgml) echo dicts/markup.dict ;;
    dates) echo dicts/dates.dict ;;
  esac
}

failed=0
for target in "${targets[@]}"; do
  prepare "$target"
  mkdir -p "artifacts/$target" logs
  dictionary=()
  [ -n "$(dict "$target")" ] && dictionary=(-dict="$(dict "$target")")
  log="logs/$target.log"
  result=ok
  cargo $toolchain fuzz run -O -s none "$target" "corpus/$target" -- "${limits[@]}" "${budget[@]}" \
    -max_len="$(max_len "$target")" "${dictionary[@]}" -artifact_prefix="artifacts/$target/" -print_final_stats=1 \
    >"$log" 2>&1 || result=crash
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)
  executed=$(grep -E '^stat::number_of_executed_units:' "$log" | tail -1 | awk '{print $2}')
  seconds=$(echo "$done_line" | awk '{print $5}')
  echo "target=$target runs=${executed:-0} seconds=${seconds:-?} result=$result"
  if [ "$result" != ok ]; then
    failed=1
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | head -5 || true
    tail -n 20 "$log"
  fi
done
exit $failed
