#!/usr/bin/env python3
"""Benchmark: peak memory of `pixup upload` against file size, and -j scaling.

Not a test: it prints figures. Run from the repository with pixup installed:

    python bench/upload.py                 # 10 MB, 100 MB, 1 GiB; 64 files at -j 1 and -j 8
    python bench/upload.py --sizes 10 100  # sizes in MB

It starts `pixup sandbox` on a free port (size limit raised), makes PNG-headed files of
each size in a temporary folder, and runs each upload under GNU time (`/usr/bin/time -v`)
to read the peak resident set size. For -j it gives the sandbox 100 ms per upload.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

PNG_HEAD = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde"
)


def pixup_bin() -> str:
    found = shutil.which("pixup", path=str(Path(sys.executable).parent)) or shutil.which("pixup")
    if not found:
        sys.exit("bench: install pixup first (pip install '.[sandbox]')")
    return found


def make_file(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        fh.write(PNG_HEAD)
        fh.truncate(size)  # sparse: the rest reads as zeros without filling the disk


def start_sandbox(data: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [pixup_bin(), "sandbox", "--port", "0", "--max-size", "4G", "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.rsplit(" ", 1)[1].strip()


def set_state(url: str, **changes: object) -> None:
    req = urllib.request.Request(
        url + "/_sandbox/state", data=json.dumps(changes).encode(), method="POST"
    )
    urllib.request.urlopen(req, timeout=5).read()


def timed(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS in KiB of one run, by GNU time."""
    result = subprocess.run(
        ["/usr/bin/time", "-v", *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(args[:3])} failed: {result.stderr[-500:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))  # type: ignore[union-attr]
    wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    assert wall is not None
    h, m, s = wall.groups()
    return (int(h or 0) * 3600 + int(m) * 60 + float(s)), rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=[10, 100, 1024], help="MB")
    parser.add_argument("--files", type=int, default=64)
    args = parser.parse_args()
    if not Path("/usr/bin/time").exists():
        sys.exit("bench: needs GNU time (apt-get install time)")

    with tempfile.TemporaryDirectory(prefix="pixup-bench-") as tmp:
        root = Path(tmp)
        proc, url = start_sandbox(root / "sandbox")
        try:
            from pixup.sandbox.accounts import SANDBOX

            env = {**os.environ, **SANDBOX.environment(url), "PIXUP_NO_KEYRING": "1"}
            print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
            print("\npeak memory of one upload (imgly API 2, streamed from disk):")
            print(f"{'file':>10} {'wall s':>8} {'MB/s':>8} {'peak RSS MB':>12}")
            for mb in args.sizes:
                f = root / f"f{mb}.png"
                make_file(f, mb * 1024 * 1024)
                wall, rss = timed(
                    [pixup_bin(), "upload", str(f), "-s", "imgly", "--max-size", "4G", "-q"], env
                )
                print(f"{mb:>8}MB {wall:>8.2f} {mb / wall:>8.1f} {rss / 1024:>12.1f}")
                f.unlink()
                for stored in (root / "sandbox").iterdir():
                    stored.unlink()

            f = root / "b64.png"
            make_file(f, 100 * 1024 * 1024)
            wall, rss = timed(
                [
                    pixup_bin(),
                    "upload",
                    str(f),
                    "-s",
                    "twitrpix",
                    "--base64",
                    "--max-size",
                    "4G",
                    "-q",
                ],
                env,
            )
            print(f"{'100MB b64':>10} {wall:>8.2f} {100 / wall:>8.1f} {rss / 1024:>12.1f}")
            f.unlink()

            print(f"\n{args.files} small files, the sandbox taking 100 ms per upload:")
            small = []
            png = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sample.png"
            for i in range(args.files):
                target = root / f"s{i}.png"
                shutil.copy(png, target)
                small.append(str(target))
            set_state(url, delay=0.1)
            results = {}
            for jobs in (1, 8):
                wall, rss = timed([pixup_bin(), "upload", *small, "-j", str(jobs), "-q"], env)
                results[jobs] = wall
                print(f"  -j {jobs}: {wall:6.2f} s wall, peak RSS {rss / 1024:.1f} MB")
            print(f"  speed-up -j 8 over -j 1: {results[1] / results[8]:.1f}x")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
