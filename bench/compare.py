#!/usr/bin/env python3
"""compare.py: times stride and PyTorch on the same workloads in one run (bench/README.md).

Starts one stride worker (stride_bench) and, when Debian's /usr/bin/python3 can
import torch, one PyTorch worker (torch_bench.py); runs the peak FLOP/s probe;
then R rounds in which every case is sampled once on each side, the two sides
alternating (which one goes first flips every round), so that a slow spell of
this shared machine hits both alike. Prints medians, best samples and the
ratio torch_time / stride_time per case (> 1: stride is faster). Peak RSS of a
training run is measured in a fresh short-lived process per side. Standard
library only: runs where NumPy and torch are absent.

  bench/compare.py --stride-bin build-release/bench/stride_bench [--rounds 5]
      [--cases a,c,mnist_train,rss] [--threads 2] [--json OUT]
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_PYTHON = "/usr/bin/python3"  # Debian's python3-torch lives there, not in pyenv's python

CONV = {  # id: description (N x H x W x Cin -> Cout, kernel, stride, padding)
    "a": "128x28x28x1 -> 32 3x3 valid",
    "b": "128x13x13x32 -> 64 3x3 valid",
    "c": "32x56x56x64 -> 64 3x3 same",
    "d": "32x28x28x128 -> 128 3x3 same",
    "e": "32x56x56x64 -> 128 3x3 s2 same",
    "f": "1x224x224x3 -> 64 7x7 s2 same",
    "g": "10x8x16x3 -> 5 3x3 s2 valid",
}
MNIST = {
    "mnist_train": "MNIST convnet training, batch 128",
    "mnist_infer128": "MNIST convnet inference, batch 128",
    "mnist_latency1": "MNIST convnet latency, batch 1",
}
CASES = [f"conv_{k}_{m}" for k in CONV for m in ("fwd", "fwdbwd")] + list(MNIST)


def log(message):
    print(message, file=sys.stderr, flush=True)


class Worker:
    """One long-lived worker process: a request line in, a JSON line out."""

    def __init__(self, side, argv):
        self.side = side
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.hello = self._read()
        if "error" in self.hello:
            raise SystemExit(f"{side} worker failed at start-up: {self.hello['error']}")

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"{self.side} worker exited (status {self.proc.wait()})")
        return json.loads(line)

    def request(self, case, samples=1):
        self.proc.stdin.write(f"{case} {samples}\n")
        self.proc.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise SystemExit(f"{self.side} worker, case {case}: {reply['error']}")
        return reply

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait()


def torch_available():
    if not os.access(TORCH_PYTHON, os.X_OK):
        return False
    return subprocess.run([TORCH_PYTHON, "-c", "import torch"], capture_output=True).returncode == 0


def worker_argv(side, a):
    # One CPU for a 1-thread comparison: the two vCPUs are not equally fast at any moment.
    pin = ["taskset", "-c", "0"] if a.threads == 1 and shutil.which("taskset") else []
    common = ["--threads", str(a.threads), "--min-sample-ms", str(a.min_sample_ms)]
    if side == "stride":
        return pin + [a.stride_bin] + common
    return pin + [TORCH_PYTHON, os.path.join(HERE, "torch_bench.py")] + common


def selected_cases(spec):
    if not spec:
        return CASES, True
    items = [s.strip() for s in spec.split(",") if s.strip()]
    chosen = [c for c in CASES if any(c == i or c.startswith(i) or c.startswith(f"conv_{i}_")
                                      for i in items)]
    unknown = [i for i in items if i != "rss" and not any(
        c == i or c.startswith(i) or c.startswith(f"conv_{i}_") for c in CASES)]
    if unknown:
        raise SystemExit(f"unknown cases {unknown}; known: {', '.join(CASES)}, rss")
    return chosen, "rss" in items


def peak_for(peak, threads):
    """Median GFLOP/s of the best ISA's run with this many threads (or the most there are)."""
    best = None
    for result in peak["results"]:
        runs = [r for r in result["runs"] if r["threads"] <= threads]
        if runs:
            run = max(runs, key=lambda r: r["threads"])
            if best is None or run["median_gflops"] > best["median_gflops"]:
                best = dict(run, isa=result["isa"])
    return best


def fmt_ms(r):
    return f"{r['median_ms']:.3f} ({r['best_ms']:.3f})" if r else "-"


def fmt_rate(r):  # images per second from ms per call of `items` images
    if not r:
        return "-"
    return f"{1e3 * r['items'] / r['median_ms']:.0f} ({1e3 * r['items'] / r['best_ms']:.0f})"


def gflops(r, peak):
    if not r or not r["flops"]:
        return "-", "-"
    g = r["flops"] / r["median_ms"] / 1e6
    return f"{g:.1f}", (f"{100 * g / peak['median_gflops']:.1f}%" if peak else "-")


def print_table(results, rss, peaks, torch_on):
    head = (f"{'case':<16}{'workload':<48}{'stride median (best)':>22}{'torch median (best)':>22}"
            f"{'torch/stride':>13}{'stride GFLOP/s':>15}{'%peak':>7}{'torch GFLOP/s':>14}"
            f"{'%peak':>7}")
    print(head)
    print("-" * len(head))
    ratios = []
    for case, sides in results.items():
        s, t = sides.get("stride"), sides.get("torch")
        mnist_rate = case in ("mnist_train", "mnist_infer128")
        unit = "img/s" if mnist_rate else "ms"
        mode = "fwd+bwd" if case.endswith("fwdbwd") else "fwd"
        desc = MNIST.get(case) or f"({case[5]}) {CONV[case[5]]} {mode}"
        ratio = t["median_ms"] / s["median_ms"] if s and t else None
        if ratio and case.startswith("conv_"):
            ratios.append(ratio)
        cells = [fmt_rate(s), fmt_rate(t)] if mnist_rate else [fmt_ms(s), fmt_ms(t)]
        sg, sp = gflops(s, peaks.get("stride"))
        tg, tp = gflops(t, peaks.get("torch"))
        print(f"{case:<16}{desc + ' [' + unit + ']':<48}{cells[0]:>22}{cells[1]:>22}"
              f"{(f'{ratio:.2f}x' if ratio else '-'):>13}{sg:>15}{sp:>7}{tg:>14}{tp:>7}")
    if rss:
        s, t = rss.get("stride"), rss.get("torch")
        ratio = f"{t / s:.2f}x" if s and t else "-"
        print(f"{'peak_rss':<16}{'training process peak RSS [MiB]':<48}"
              f"{(f'{s:.0f}' if s else '-'):>22}"
              f"{(f'{t:.0f}' if t else '-'):>22}{ratio:>13}")
    if ratios:
        print(f"\ngeometric mean of torch/stride over {len(ratios)} conv cases: "
              f"{statistics.geometric_mean(ratios):.2f}x")
    print("torch/stride > 1: stride is faster (for RSS: stride uses less memory). "
          "Cells: median (best) over the rounds' samples.")
    if not torch_on:
        print("PyTorch not measured (--no-torch, or /usr/bin/python3 cannot import torch: "
              "apt-get install python3-torch).")
    sys.stdout.flush()


def cpu_busy_seconds():
    """CPU time every process on the machine has used since boot (from /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    """CPU time of this script and of the workers it has waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def merge_peak(total, reply):
    """Adds a probe's samples to `total` (same layout), recomputing medians and bests."""
    for result in reply["results"]:
        into = next((r for r in total["results"] if r["isa"] == result["isa"]), None)
        if into is None:
            total["results"].append(into := dict(result, runs=[]))
        for run in result["runs"]:
            same = next((r for r in into["runs"] if r["threads"] == run["threads"]), None)
            if same is None:
                into["runs"].append(same := dict(run, samples_gflops=[]))
            same["samples_gflops"] = same["samples_gflops"] + run["samples_gflops"]
            same["median_gflops"] = statistics.median(same["samples_gflops"])
            same["best_gflops"] = max(same["samples_gflops"])
        into["runs"].sort(key=lambda r: r["threads"])


def measure(a, cases, with_rss, sides):
    """Everything the report shows: the peak probe, the rounds, the RSS processes."""
    started, busy_before, own_before = time.time(), cpu_busy_seconds(), own_cpu_seconds()
    log("peak FLOP/s probe ...")
    probe = [a.stride_bin, "--peak", "--peak-samples", str(a.peak_samples)]
    peak = {"results": []}
    first_probe = json.loads(subprocess.run(probe, check=True, capture_output=True,
                                            text=True).stdout)
    merge_peak(peak, first_probe)
    peak["store"] = first_probe.get("store")
    workers = {side: Worker(side, worker_argv(side, a)) for side in sides}
    results = {case: {side: None for side in sides} for case in cases}
    samples = {case: {side: [] for side in sides} for case in cases}
    for r in range(a.rounds):
        order = sides if r % 2 == 0 else sides[::-1]
        for case in cases:
            for side in order:
                reply = workers[side].request(case)
                samples[case][side] += reply["samples_ms"]
                results[case][side] = dict(reply, samples_ms=samples[case][side],
                                           median_ms=statistics.median(samples[case][side]),
                                           best_ms=min(samples[case][side]))
        # The peak is sampled every round too, so that it sees the same slow spells.
        merge_peak(peak, workers["stride"].request("peak", 1))
        log(f"round {r + 1}/{a.rounds} done, {time.time() - started:.0f} s")
    hellos = {side: w.hello for side, w in workers.items()}
    for w in workers.values():
        w.close()

    rss = {}
    if with_rss:
        for side in sides:  # a fresh process that does only the training case
            log(f"peak RSS of a {side} training process ...")
            w = Worker(side, worker_argv(side, a))
            w.request("mnist_train", 2)
            rss[side] = w.request("rss")["peak_rss_mib"]
            w.close()
    wall = time.time() - started
    log(f"total {wall:.0f} s")
    # What other processes took from the CPUs meanwhile: on this shared machine, the figures
    # of a run with much background load are not comparable with a quiet one's.
    busy_after = cpu_busy_seconds()
    background = None
    if busy_before is not None and busy_after is not None:
        others = (busy_after - busy_before) - (own_cpu_seconds() - own_before)
        background = max(0.0, others) / (wall * (os.cpu_count() or 1))
    peaks = {side: peak_for(peak, max(1, hellos[side]["threads"]["used"])) for side in sides}
    return {"date": f"{datetime.datetime.now():%Y-%m-%d %H:%M}", "cpu": cpu_model(),
            "cpus": os.cpu_count(), "background_load": background, "wall_seconds": wall,
            "args": vars(a), "workers": hellos, "peak": peak,
            "peak_used": peaks, "cases": results, "peak_rss_mib": rss}


def print_header(data):
    a = data["args"]
    print(f"# {data['date']}, {data['cpu']}, {data['cpus']} CPUs")
    for result in data["peak"]["results"]:
        runs = ", ".join(f"{r['threads']} thread{'s' if r['threads'] > 1 else ''} "
                         f"{r['median_gflops']:.1f} GFLOP/s (best {r['best_gflops']:.1f}, "
                         f"{len(r['samples_gflops'])} samples)" for r in result["runs"])
        print(f"# peak fp32 FMA, {result['isa']}, {result['accumulators']} accumulators: {runs}")
    store = data["peak"].get("store")
    if store and store["runs"]:
        mb = store["bytes"] / 1e6
        runs = ", ".join(f"{r['threads']} thread{'s' if r['threads'] > 1 else ''} "
                         f"{r['median_gbps']:.1f} GB/s (best {r['best_gbps']:.1f}, so "
                         f"{mb / r['best_gbps']:.3f} ms at best)" for r in store["runs"])
        print(f"# store bandwidth, a {mb:.1f} MB buffer (the output of (a)) rewritten: {runs}")
    for side, hello in data["workers"].items():
        th = hello["threads"]
        extra = (f" ({th['note']}; {hello['build']['type']} build, gemm micro-kernel "
                 f"{hello['build']['gemm_kernel']})" if side == "stride"
                 else f", torch {hello['version']}")
        p = data["peak_used"][side]
        against = (f"% of peak against {p['median_gflops']:.1f} GFLOP/s ({p['threads']} thread(s), "
                   f"{p['isa']})" if p else "no peak measured")
        print(f"# {side}: {th['used']} thread(s) of {th['requested']} asked{extra}; {against}")
    stride = data["workers"]["stride"]
    for check, result in stride["startup_check"].items():
        print(f"# stride start-up check against naive loops, {check}: {result}")
    for warning in stride["build"]["warnings"]:
        print(f"# WARNING: {warning}")
    if data["background_load"] is not None:
        share = data["background_load"]
        print(f"# background load: other processes used {100 * share:.0f}% of the CPUs during the "
              f"{data['wall_seconds']:.0f} s run"
              + ("; WARNING: the figures are disturbed, rerun on a quieter machine" if share > 0.1
                 else ""))
    pinned = ", both pinned to CPU 0" if a["threads"] == 1 else ""
    print(f"# {a['rounds']} rounds, samples of >= {a['min_sample_ms']:.0f} ms, sides alternating"
          f"{pinned}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stride-bin", default="build-release/bench/stride_bench")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cases", default="", help="comma list: case names, prefixes (conv_c, mnist), "
                    "conv ids (a..g) and rss; default: everything")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-sample-ms", type=float, default=300,
                    help="shortest sample (short ops are repeated within one)")
    ap.add_argument("--peak-samples", type=int, default=7)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--json", metavar="OUT", help="save every sample and the workers' descriptions")
    a = ap.parse_args()
    cases, with_rss = selected_cases(a.cases)
    torch_on = not a.no_torch and torch_available()
    if not torch_on:
        log("PyTorch not available (or --no-torch): timing stride only")
    data = measure(a, cases, with_rss, ["stride", "torch"] if torch_on else ["stride"])
    print_header(data)
    print()
    print_table(data["cases"], data["peak_rss_mib"], data["peak_used"], torch_on)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(data, f, indent=1)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
