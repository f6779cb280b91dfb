"""Layer-analysis benchmark: analyse_image over the save stream against a plain `docker save | tar -t`."""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

from worker.engine.client import connect
from worker.images.build_context import context_tar
from worker.images.builder import build_image, remove_images

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LABEL = "catalog.bench"  # on the image this bench builds; the final clean-up removes by it
BASE = "busybox:1.35"
TIME_TARGET = 2.0  # analysis wall time / plain read wall time
MEMORY_TARGET_MB = 150  # peak RSS of the analysing process, interpreter and imports included
MB = 1_000_000
# Incompressible data (urandom), so no layer is cheaper to move than its size; some of it is
# overwritten, deleted or re-stored by chmod, and one layer has many smaller files.
DOCKERFILE = """FROM busybox:1.35
RUN head -c {big} /dev/urandom > /a.bin
RUN head -c {big} /dev/urandom > /b.bin
RUN head -c {medium} /dev/urandom > /a.bin
RUN rm /b.bin
RUN mkdir /many && for i in $(seq 1 {count}); do head -c {small} /dev/urandom > /many/f$i; done
RUN chmod 600 /many/f1 /many/f2 /many/f3
"""


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each side; medians are reported")
    parser.add_argument("--big", type=int, default=100 * MB, help="bytes of each of the two first layers")
    parser.add_argument("--medium", type=int, default=60 * MB, help="bytes of the layer that overwrites")
    parser.add_argument("--files", type=int, default=600, help="files in the many-files layer")
    parser.add_argument("--small", type=int, default=100_000, help="bytes of each of those files")
    parser.add_argument("--child", choices=("analyse", "read"), help=argparse.SUPPRESS)
    parser.add_argument("--image", help=argparse.SUPPRESS)
    return parser.parse_args()


def child(mode: str, image: str) -> None:
    """One measured run in a fresh process, so its peak RSS is its own: print its figures as JSON."""
    from worker.layers.analysis import analyse_image

    client = connect()
    before = memory_kib()
    started = time.perf_counter()
    if mode == "analyse":
        analysis = analyse_image(client, image)
        summary = {k: v for k, v in analysis.to_dict().items() if k.endswith("_bytes") or k == "blobs_read"}
    else:  # Python reading the same stream and dropping it: the floor for any Python reader
        summary = {"stream_bytes": sum(len(chunk) for chunk in client.api.get_image(image, chunk_size=None))}
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rss_before_kib": before["VmRSS"],
                "hwm_kib": memory_kib()["VmHWM"],
                **summary,
            }
        )
    )


def memory_kib() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def run_child(mode: str, image: str) -> dict:
    command = [PYTHON, str(Path(__file__).resolve()), "--child", mode, "--image", image]
    result = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT, timeout=600)
    return json.loads(result.stdout.strip().splitlines()[-1])


def plain_read(image: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"docker save {image} | tar -t > /dev/null"], check=True, timeout=600
    )
    return time.perf_counter() - started


def build(client, options: argparse.Namespace, labels: dict[str, str]) -> str:
    dockerfile = DOCKERFILE.format(
        big=options.big, medium=options.medium, count=options.files, small=options.small
    )
    result = build_image(
        client,
        image_name="bench-layers",
        context=context_tar({"Dockerfile": (dockerfile.encode(), False)}),
        dockerfile="Dockerfile",
        tag=f"catalog-bench/layers-{labels[LABEL]}:bench",
        labels=labels,
        deadline=time.monotonic() + 900,
        nocache=True,
    )
    if not result.ok:
        raise RuntimeError(f"the bench image did not build: {result.error}\n{result.log[-2000:]}")
    return result.image_id


def main() -> int:
    options = parse_options()
    if options.child:
        child(options.child, options.image)
        return 0
    client = connect()
    client.images.get(BASE)  # never pulled: the engine has no registry
    labels = {LABEL: secrets.token_hex(6)}
    try:
        started = time.perf_counter()
        image = build(client, options, labels)
        size = int(client.api.inspect_image(image)["Size"])
        print(
            f"bench {labels[LABEL]}: image {image[:19]}, {size / MB:.1f} MB,"
            f" built in {time.perf_counter() - started:.0f} s"
        )
        analysed, read, plain = [], [], []
        for round_number in range(options.rounds):
            # Alternate who goes first, so neither side always finds the engine's page cache warm.
            sides = [("analyse", analysed), ("read", read), ("plain", plain)]
            for name, results in sides if round_number % 2 == 0 else reversed(sides):
                results.append(plain_read(image) if name == "plain" else run_child(name, image))
            print(
                f"round {round_number + 1}: analyse {analysed[-1]['seconds']:.2f} s, python read "
                f"{read[-1]['seconds']:.2f} s, docker save | tar -t {plain[-1]:.2f} s",
                flush=True,
            )
        return report(analysed, read, plain, size)
    finally:
        remove_images(client, labels)


def report(analysed: list[dict], read: list[dict], plain: list[float], size: int) -> int:
    analyse_s = statistics.median(run["seconds"] for run in analysed)
    read_s = statistics.median(run["seconds"] for run in read)
    plain_s = statistics.median(plain)
    peak_mb = max(run["hwm_kib"] for run in analysed) * 1024 / MB
    imports_mb = max(run["rss_before_kib"] for run in analysed) * 1024 / MB
    stream = read[0]["stream_bytes"]
    figures = analysed[0]
    print(
        f"\nmedians of {len(plain)} run(s); save stream {stream / MB:.1f} MB, engine size {size / MB:.1f} MB"
    )
    print(f"{'docker save | tar -t > /dev/null':44} {plain_s:8.2f} s  {stream / MB / plain_s:7.0f} MB/s")
    print(f"{'python reads the stream, no analysis':44} {read_s:8.2f} s  {stream / MB / read_s:7.0f} MB/s")
    print(f"{'analyse_image':44} {analyse_s:8.2f} s  {stream / MB / analyse_s:7.0f} MB/s")
    ratio = analyse_s / plain_s
    time_ok, memory_ok = ratio <= TIME_TARGET, peak_mb < MEMORY_TARGET_MB
    print(
        f"{'ratio analyse / plain read':44} {ratio:8.2f}    target <= {TIME_TARGET:.1f}"
        f"  {'PASS' if time_ok else 'FAIL'}"
    )
    print(
        f"{'peak RSS of the analysis (VmHWM)':44} {peak_mb:8.1f} MB  target < {MEMORY_TARGET_MB}"
        f"  {'PASS' if memory_ok else 'FAIL'}  ({imports_mb:.1f} MB after imports)"
    )
    print(
        f"analysis: {figures['blobs_read']} blobs, written {figures['written_bytes']:,} B, final "
        f"{figures['final_bytes']:,} B, reclaimable {figures['reclaimable_bytes']:,} B"
    )
    return 0 if time_ok and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main())
