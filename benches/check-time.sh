#!/usr/bin/env bash
# Compile-time cost of rules!: `cargo check` of a crate holding a 1 000-rule and a
# 10 000-rule `rules!` block, against an empty crate that depends on notify-rules
# just the same. Goal: under 5 s over the empty crate for 1 000 rules, and growth
# that is linear in the number of rules.
#
#   benches/check-time.sh            # prints one line per crate and the deltas
#
# Each crate is checked once to warm the dependencies, then its own source is
# touched and checked again RUNS times; the median of those is reported.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${CHECK_TIME_DIR:-$root/target/check-time}
runs=${RUNS:-3}
mkdir -p "$work"
export CARGO_TARGET_DIR="$work/target"

make_crate() { # name rules
    local dir="$work/$1" n=$2
    mkdir -p "$dir/src"
    cat > "$dir/Cargo.toml" <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
notify-rules = { path = "$root/notify-rules" }

[workspace]
TOML
    {
        echo "pub fn rules() -> notify_rules::RuleSet {"
        if [ "$n" -eq 0 ]; then
            echo "    notify_rules::RuleSet::parse(\"\").unwrap()"
        else
            echo "    notify_rules::rules! {"
            "$root/benches/gen-rules.sh" "$n" | sed 's/^/        /'
            echo "    }"
        fi
        echo "}"
    } > "$dir/src/lib.rs"
}

calc() { awk "BEGIN { print $* }"; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() { # name -> seconds
    local dir="$work/$1"
    (cd "$dir" && cargo check -q 2>/dev/null) # warm-up: dependencies and lock file
    for _ in $(seq "$runs"); do
        touch "$dir/src/lib.rs"
        local t0 t1
        t0=$(date +%s.%N)
        (cd "$dir" && cargo check -q)
        t1=$(date +%s.%N)
        calc "$t1 - $t0"
    done | median
}

make_crate check_empty 0
make_crate check_r1000 1000
make_crate check_r10000 10000

empty=$(measure check_empty)
r1000=$(measure check_r1000)
r10000=$(measure check_r10000)
d1000=$(calc "$r1000 - $empty")
d10000=$(calc "$r10000 - $empty")
printf 'empty crate:   %6.2f s\n' "$empty"
printf '1 000 rules:   %6.2f s  (+%.2f s over empty)\n' "$r1000" "$d1000"
printf '10 000 rules:  %6.2f s  (+%.2f s over empty)\n' "$r10000" "$d10000"
printf 'growth 1 000 -> 10 000 rules: %.1fx the added time (linear is 10x)\n' "$(calc "$d10000 / $d1000")"
