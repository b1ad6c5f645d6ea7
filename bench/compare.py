#!/usr/bin/env python3
"""Benchmark pixup against curl and against itself, side by side in one run.

Not a test: it prints figures (recorded in bench/README.md). Needs curl and GNU time, and
for start-up hyperfine and valgrind (Debian packages `curl time hyperfine valgrind`); run
from the repository with pixup installed: `python bench/compare.py [--big-mb 1024] [--rounds 5] [CASE...]`.

Every transfer goes to `bench/sink.py`'s sink, which answers `Expect: 100-continue` and
keeps connections alive (its test, tests/test_bench_sink.py, proves both): curl asks for
100-continue on bodies over 1 MB and, unanswered, waits a second before sending. The sink
runs in its own process, pinned to the last core; the clients are not pinned.

Transfers are measured as paired runs: each round runs both commands, in alternating
order, and the figure quoted is the median over rounds of each command's wall time and of
the ratio within a round (this machine's speed drifts between rounds, less within one).
curl's own timing (`-w %{time_total}`) is printed beside its wall time as a check on the
harness. Peak RSS is GNU time's (`%M`).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pty
import re
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sink import SinkProcess

from pixup.sandbox.accounts import SANDBOX

PNG = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sample.png"


def tool(name: str) -> str:
    path = shutil.which(name, path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    if not path:
        sys.exit(f"bench: {name} is not installed")
    return path


@dataclass
class Run:
    wall: float
    rss_mb: float
    stdout: str


def run(cmd: Sequence[str], env: dict[str, str], terminal: bool = False) -> Run:
    """One run: wall seconds, the child's peak RSS, its stdout. With ``terminal`` the
    child's stdin, stdout and stderr are a pseudo-terminal of 100x30, drained as a
    terminal emulator would."""
    if terminal:
        return _run_in_pty(cmd, env)
    with tempfile.NamedTemporaryFile("r") as rss:
        started = time.perf_counter()
        done = subprocess.run(
            [*_time(rss.name), *cmd], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        wall = time.perf_counter() - started
        if done.returncode:
            sys.exit(f"bench: {shlex.join(cmd)} exited {done.returncode}")
        return Run(wall, _rss_mb(rss.name), done.stdout.decode(errors="replace"))


def _time(report: str) -> list[str]:
    """GNU time, for the peak RSS: a child's own ru_maxrss (wait4) counts the memory of
    the process it was forked from, this benchmark's, before its exec."""
    return [tool("time"), "-f", "%M", "-o", report]


def _rss_mb(report: str) -> float:
    return int(Path(report).read_text().split()[-1]) / 1024


def _run_in_pty(cmd: Sequence[str], env: dict[str, str]) -> Run:
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    report = tempfile.NamedTemporaryFile("r")  # noqa: SIM115 - closed below
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*_time(report.name), *cmd],
        env={**env, "TERM": "xterm-256color"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    status = proc.wait()
    wall = time.perf_counter() - started
    reader.join(timeout=5)
    os.close(master)
    if status:
        sys.exit(f"bench: {shlex.join(cmd)} exited {status} at a terminal")
    with report:
        return Run(wall, _rss_mb(report.name), b"".join(chunks).decode(errors="replace"))


@dataclass
class Pair:
    a: list[Run] = field(default_factory=list)
    b: list[Run] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(x.wall / y.wall for x, y in zip(self.a, self.b, strict=True))

    def wall(self, side: str) -> float:
        return statistics.median(r.wall for r in getattr(self, side))

    def rss(self, side: str) -> float:
        return max(r.rss_mb for r in getattr(self, side))


def paired(
    a: Callable[[], Run],
    b: Callable[[], Run],
    rounds: int,
    between: Callable[[], None] = lambda: None,
) -> Pair:
    pair = Pair()
    for i in range(rounds):
        order = [("a", a), ("b", b)] if i % 2 == 0 else [("b", b), ("a", a)]
        for side, fn in order:
            getattr(pair, side).append(fn())
            between()
    return pair


def curl_form(url: str, file: str, *, pre_encoded: bool = False) -> list[str]:
    """curl sending the TwitrPix API 1 form pixup sends (credentials are form fields, so
    every run is valid); with ``pre_encoded`` the file is sent as a text field, as
    pixup --base64 sends it."""
    fields = {
        "api_key": SANDBOX.api_key,
        "consumer_token": SANDBOX.consumer_key,
        "consumer_secret": SANDBOX.consumer_secret,
        "oauth_token": SANDBOX.token,
        "oauth_secret": SANDBOX.token_secret,
    }
    args = [tool("curl"), "-sS", "-f", "-o", "/dev/null", "-w", "%{time_total}\\n"]
    for k, v in fields.items():
        args += ["-F", f"{k}={v}"]
    media = f"media=<{file};type=text/plain" if pre_encoded else f"media=@{file};type=image/png"
    return [*args, "-F", media, f"{url}/1/upload.json"]


def curl_own(runs: list[Run]) -> float:
    """The median of curl's own time_total over ``runs``."""
    return statistics.median(sum(float(x) for x in r.stdout.split()) for r in runs)


class Bench:
    def __init__(self, work: Path, rounds: int, big_mb: int) -> None:
        self.work, self.rounds, self.big_mb = work, rounds, big_mb
        self.pixup = tool("pixup")
        # The sink on the last core, the clients free to use all of them.
        self.cpu = (os.cpu_count() or 1) - 1 or None
        self.sink = SinkProcess(cpu=self.cpu)
        self.env = {
            **os.environ,
            **SANDBOX.environment(self.sink.url),
            "PIXUP_NO_KEYRING": "1",
            "PIXUP_CONFIG_DIR": str(work / "cfg"),
            "PIXUP_DATA_DIR": str(work / "data"),
        }
        # Measure what an installed pixup does: with bytecode caching off, every run would
        # compile pixup's sources again (some environments set this variable).
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env.pop("NO_COLOR", None)

    def upload(self, *args: str, url: str | None = None) -> list[str]:
        return [self.pixup, "upload", *args, "--endpoint", url or self.sink.url, "--max-size", "8G"]

    def r(self, cmd: list[str], terminal: bool = False) -> Callable[[], Run]:
        return lambda: run(cmd, self.env, terminal)

    def big_file(self) -> Path:
        big = self.work / "big.png"
        with open(big, "wb") as fh:
            fh.write(PNG.read_bytes()[:64])
            fh.truncate(self.big_mb * 1024 * 1024)
        return big

    def big(self) -> None:
        big = self.big_file()
        mb = f"{self.big_mb} MiB"
        curl = curl_form(self.sink.url, str(big))
        for label, extra in (("ledger on", []), ("--no-history", ["--no-history"])):
            pair = paired(self.r(self.upload(str(big), "-q", *extra)), self.r(curl), self.rounds)
            print(
                f"{mb}, {label:<13} pixup {pair.wall('a'):.2f} s ({pair.rss('a'):.1f} MiB)  "
                f"curl -F {pair.wall('b'):.2f} s (own {curl_own(pair.b):.2f} s, "
                f"{pair.rss('b'):.1f} MiB)  ratio {pair.ratio:.2f}"
            )
        encoded = self.work / "big.b64"
        with open(big, "rb") as src, open(encoded, "wb") as dst:
            while chunk := src.read(3 << 20):
                dst.write(base64.b64encode(chunk))
        pair = paired(
            self.r(self.upload(str(big), "-q", "--base64")),
            self.r(curl_form(self.sink.url, str(encoded), pre_encoded=True)),
            self.rounds,
        )
        print(
            f"{mb}, --base64      pixup {pair.wall('a'):.2f} s ({pair.rss('a'):.1f} MiB)  "
            f"curl, pre-encoded {pair.wall('b'):.2f} s (own {curl_own(pair.b):.2f} s)  "
            f"ratio {pair.ratio:.2f}"
        )
        encoded.unlink()

    def small_files(self, count: int = 200) -> list[str]:
        folder = self.work / "small"
        folder.mkdir(exist_ok=True)
        head = PNG.read_bytes()
        files = []
        for i in range(count):
            path = folder / f"{i:03}.png"
            path.write_bytes(head + os.urandom(50 * 1024 - len(head)))
            files.append(str(path))
        return files

    def many(self) -> None:
        files = self.small_files()
        listing = self.work / "files.txt"
        listing.write_text("\n".join(files) + "\n")
        for delay in (0.0, 0.05):
            sink = SinkProcess(delay, self.cpu)
            j1 = self.r(self.upload(*files, "-q", "-j", "1", url=sink.url))
            j8 = self.r(self.upload(*files, "-q", "-j", "8", url=sink.url))
            pair = paired(j8, j1, self.rounds)
            line = (
                f"200 x 50 KB, server {delay * 1000:.0f} ms: -j 8 {pair.wall('a'):.2f} s, "
                f"-j 1 {pair.wall('b'):.2f} s: -j 8 / -j 1 {pair.ratio:.2f}"
            )
            if delay == 0.0:
                curl = shlex.join(curl_form(sink.url, "{}"))
                xargs = ["sh", "-c", f"xargs -P 8 -I{{}} {curl} < {shlex.quote(str(listing))}"]
                with_curl = paired(j8, self.r(xargs), self.rounds)
                line += (
                    f"; xargs -P8 curl {with_curl.wall('b'):.2f} s: "
                    f"-j 8 / xargs {with_curl.ratio:.2f}"
                )
            print(line)
            sink.close()

    def terminal(self) -> None:
        files = self.small_files()
        pair = paired(
            self.r(self.upload(*files, "-j", "4"), terminal=True),
            self.r(self.upload(*files, "-j", "4", "-q"), terminal=True),
            self.rounds,
        )
        print(
            f"200 x 50 KB at a terminal (pty 100x30): {pair.wall('a'):.2f} s, with -q "
            f"{pair.wall('b'):.2f} s: ratio {pair.ratio:.2f}"
        )

    def history(self) -> None:
        for rows in (100, 100_000):
            data = self.work / f"hist-{rows}"
            self._fill_ledger(data, rows)
            env = {**self.env, "PIXUP_DATA_DIR": str(data)}
            runs = [run([self.pixup, "history", "--json", "--limit", "0"], env) for _ in range(3)]
            lines = runs[0].stdout.count("\n")
            print(
                f"history --json, {rows:>7,} records: {statistics.median(r.wall for r in runs):.2f} s, "
                f"peak RSS {max(r.rss_mb for r in runs):.1f} MiB ({lines:,} lines)"
            )

    def _fill_ledger(self, data: Path, rows: int) -> None:
        env = {**self.env, "PIXUP_DATA_DIR": str(data)}
        run(self.upload(str(PNG), "-q"), env)  # creates the database at its schema
        conn = sqlite3.connect(data / "history.sqlite3")
        first = conn.execute("SELECT * FROM uploads").fetchone()
        names = [d[0] for d in conn.execute("SELECT * FROM uploads").description]
        row = dict(zip(names, first, strict=True))
        row.pop("id")
        columns = ", ".join(row)
        marks = ", ".join("?" * len(row))
        values = [
            tuple(f"{v}-{i}" if k in ("file", "url", "media_id") else v for k, v in row.items())
            for i in range(rows - 1)
        ]
        with conn:
            # Column names from the database itself; values bound.
            conn.executemany(f"INSERT INTO uploads ({columns}) VALUES ({marks})", values)  # noqa: S608
        conn.close()

    def sandbox(self) -> None:
        big = self.big_file()
        store = self.work / "sb"
        proc = subprocess.Popen(
            [self.pixup, "sandbox", "--port", "0", "--max-size", "8G", "--data-dir", str(store)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        url = re.search(r"http://\S+", proc.stdout.readline())
        assert url, "the sandbox printed no URL"

        def empty_store() -> None:
            for path in store.rglob("*"):
                if path.is_file():
                    path.unlink()

        try:
            pair = paired(
                self.r(curl_form(url.group(0), str(big))),
                self.r(curl_form(self.sink.url, str(big))),
                self.rounds,
                empty_store,
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        print(
            f"curl -F {self.big_mb} MiB: to pixup sandbox {pair.wall('a'):.2f} s "
            f"(own {curl_own(pair.a):.2f} s), to the sink {pair.wall('b'):.2f} s "
            f"(own {curl_own(pair.b):.2f} s): ratio {pair.ratio:.2f}"
        )
        big.unlink()

    def startup(self) -> None:
        x = self.work / "x.png"
        shutil.copy(PNG, x)
        commands = {
            "python -c 'import typer'": [sys.executable, "-c", "import typer"],
            "pixup --version": [self.pixup, "--version"],
            "pixup --help": [self.pixup, "--help"],
            "pixup thumb-url 3de -s imgly": [self.pixup, "thumb-url", "3de", "-s", "imgly"],
            "pixup config path": [self.pixup, "config", "path"],
            "pixup upload x.png --dry-run": [self.pixup, "upload", str(x), "--dry-run"],
        }
        medians = hyperfine([shlex.join(c) for c in commands.values()], 40, self.env)
        counts = [instructions(c, self.env) for c in commands.values()]
        for name, median, count in zip(commands, medians, counts, strict=True):
            line = f"  {name:<30} {median * 1000:7.1f} ms  {median / medians[0]:.2f}x"
            if count and counts[0]:
                line += f"   {count / 1e6:7.1f} M instructions  {count / counts[0]:.2f}x"
            print(line)


def hyperfine(commands: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Median wall seconds of each command, measured in one hyperfine run."""
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    subprocess.run(
        [tool("hyperfine"), "-N", "-w", "5", "-r", str(runs), "--export-json", str(out), *commands],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    results = json.loads(out.read_text())["results"]
    out.unlink()
    return [r["median"] for r in results]


def instructions(args: list[str], env: dict[str, str]) -> int | None:
    """Instructions executed (valgrind's callgrind): steady where wall time drifts."""
    if not shutil.which("valgrind"):
        return None
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    match = re.search(r"refs:\s+([\d,]+)", result.stderr)
    return int(match.group(1).replace(",", "")) if match else None


CASES = ("startup", "big", "many", "terminal", "history", "sandbox")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds per transfer")
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the big file, MiB")
    parser.add_argument("cases", nargs="*", help=f"some of: {' '.join(CASES)} (default: all)")
    args = parser.parse_args()
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case {sorted(unknown)[0]!r}; cases: {' '.join(CASES)}")
    work = Path(tempfile.mkdtemp(prefix="pixup-compare-"))
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, loopback; "
        f"{args.rounds} paired rounds\n"
    )
    bench = Bench(work, args.rounds, args.big_mb)
    try:
        for case in args.cases or CASES:
            getattr(bench, case)()
    finally:
        bench.sink.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
