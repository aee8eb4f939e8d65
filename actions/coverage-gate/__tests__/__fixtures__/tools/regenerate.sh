#!/usr/bin/env bash
# Regenerates the tool-made coverage fixtures and the tools' own totals (expected.json).
# Needs Debian's python3-coverage and golang-go: apt-get install -y python3-coverage golang-go
# (and npx for c8). `regenerate.sh python` regenerates the coverage.py fixtures and totals only.
set -euo pipefail
cd "$(dirname "$0")"
only=${1:-all}

( cd python
  rm -f .coverage
  python3-coverage run --branch --source=app -m unittest -q test_calc 2>/dev/null
  python3-coverage xml -q -o coverage.xml
  python3-coverage json -q -o coverage.json
  python3-coverage report > report.txt
  rm -f .coverage )

if [ "$only" = python ]; then
  python3 - <<'PY'
import json
report = open('python/report.txt').read().splitlines()
total = [line for line in report if line.startswith('TOTAL')][0].split()
expected = json.load(open('expected.json'))
expected['python'] = {'covered': int(total[1]) - int(total[2]), 'total': int(total[1])}
json.dump(expected, open('expected.json', 'w'), indent=2)
PY
  rm -f python/report.txt
  echo "python fixtures regenerated: $(tr -d '\n ' < expected.json)"
  exit 0
fi

( cd go
  export GOFLAGS=-mod=mod GOPATH="${TMPDIR:-/tmp}/mpac-gopath" GOCACHE="${TMPDIR:-/tmp}/mpac-gocache"
  go test -coverprofile=cover.out ./... > /dev/null
  go test -coverpkg=./... -coverprofile=coverpkg.out ./... > /dev/null
  go tool cover -func=cover.out > func.txt
  go tool cover -func=coverpkg.out > funcpkg.txt )

( cd js
  # c8 (V8 coverage through istanbul reporters), as the TypeScript frontend's jest/c8 runs write it
  npx --yes c8@10 --reporter=lcovonly --reporter=json --reporter=json-summary --reporter=cobertura --include=src --report-dir=. --temp-directory="${TMPDIR:-/tmp}/mpac-c8" node run.mjs
  # c8 writes absolute paths; keep the fixtures relative to this folder
  sed -i "s#$PWD/##g" lcov.info coverage-final.json coverage-summary.json cobertura-coverage.xml )

# The tools' own totals, for the parity tests.
python3 - <<'PY'
import json, re
report = open('python/report.txt').read().splitlines()
total = [line for line in report if line.startswith('TOTAL')][0].split()
statements, missed = int(total[1]), int(total[2])
def go_total(path):
    line = [l for l in open(path).read().splitlines() if l.startswith('total:')][0]
    return float(re.search(r'([\d.]+)%', line).group(1))
json.dump({
    'python': {'covered': statements - missed, 'total': statements},
    'go': {'percent': go_total('go/func.txt')},
    'goCoverpkg': {'percent': go_total('go/funcpkg.txt')},
    'c8': json.load(open('js/coverage-summary.json'))['total']['lines'],
}, open('expected.json', 'w'), indent=2)
PY
rm -f python/report.txt go/func.txt go/funcpkg.txt
echo "fixtures regenerated: $(cat expected.json | tr -d '\n ')"
