#!/usr/bin/env python3
"""ab.py: two stride_bench builds side by side, alternating, for before/after
measurements of a change (bench/README.md, "Before and after a change").

    bench/ab.py --a /tmp/stride_bench_before --b build-release/bench/stride_bench \\
        --cases conv_a_fwdbwd,mnist_train --rounds 5 [--threads 2]

Both workers stay up; each round asks A then B (then B then A the next round)
for one sample set of every case. Prints each side's median over all samples
and B's speed-up (A's time / B's time; > 1: B is faster)."""
import argparse
import json
import statistics
import subprocess


def start(binary, threads):
    proc = subprocess.Popen([binary, "--threads", str(threads)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    json.loads(proc.stdout.readline())  # the worker's description
    return proc


def ask(proc, case, samples):
    proc.stdin.write(f"{case} {samples}\n")
    proc.stdin.flush()
    answer = json.loads(proc.stdout.readline())
    if "error" in answer:
        raise SystemExit(f"ab.py: {case}: {answer['error']}")
    return answer["samples_ms"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", required=True, help="stride_bench before the change")
    parser.add_argument("--b", required=True, help="stride_bench after the change")
    parser.add_argument("--cases", required=True, help="comma list of case names")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=3, help="samples per request")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    workers = {"a": start(args.a, args.threads), "b": start(args.b, args.threads)}
    cases = args.cases.split(",")
    times = {(side, case): [] for side in workers for case in cases}
    for r in range(args.rounds):
        order = ("a", "b") if r % 2 == 0 else ("b", "a")
        for case in cases:
            for side in order:
                times[(side, case)] += ask(workers[side], case, args.samples)
    for proc in workers.values():
        proc.stdin.write("quit\n")
        proc.stdin.close()
        proc.wait()
    print(f"{'case':<16} {'A median (best)':>22} {'B median (best)':>22} {'A/B':>7}")
    for case in cases:
        a, b = times[("a", case)], times[("b", case)]
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{case:<16} {ma:>12.3f} ({min(a):8.3f}) {mb:>12.3f} ({min(b):8.3f}) {ma / mb:>6.2f}x")
    print("times in ms per call (mnist_train/infer: per batch); A/B > 1: B is faster")


if __name__ == "__main__":
    main()
