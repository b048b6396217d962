#!/usr/bin/env bash
# Writes rule files with N rules, each keyed by a distinct exact pipeline name,
# for the scaling bench (notify-rules/benches/rules.rs) and the compile-time
# script (benches/check-time.sh).
#   benches/gen-rules.sh N > file.rules
set -euo pipefail
n=${1:?usage: gen-rules.sh N}
echo "// $n generated rules with distinct exact pipeline names."
echo "target ops, audit;"
for ((i = 0; i < n; i++)); do
    printf 'on pipeline "svc-%05d" state Failed => send(ops);\n' "$i"
done
echo 'on state Cancelled => send(audit);'
