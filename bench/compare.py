#!/usr/bin/env python3
"""Benchmark pixup against curl and against itself, side by side in one run.

Not a test: it prints figures (recorded in bench/README.md). Needs curl and GNU time, and
for start-up hyperfine and valgrind (Debian packages `curl time hyperfine valgrind`); run
from the repository with pixup installed: `python bench/compare.py [--big-mb 1024] [--rounds 5] [CASE...]`.

Every transfer goes to `bench/sink.py`'s sink, which answers `Expect: 100-continue` and
keeps connections alive (its test, tests/test_bench_sink.py, proves both): curl asks for
100-continue on bodies over 1 MB and, unanswered, waits a second before sending. The sink
runs in its own process, pinned to the last core; the clients are not pinned.

Transfers are measured in rounds: each round runs every command of a case once, the order
turned by one each round, and the figures quoted are the medians over rounds of each
command's wall time and of its ratio to the case's anchor within a round (this machine's
speed drifts between rounds, less within one). curl's own timing (`-w %{time_total}`) is
printed beside its wall time as a check on the harness. Peak RSS is GNU time's (`%M`).
With `--before PIXUP`, an older build runs in the same rounds as a third command.
"""

from __future__ import annotations

import argparse
import base64
import functools
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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


Runs = dict[str, list[Run]]


def rotated(
    commands: Mapping[str, Callable[[], Run]],
    rounds: int,
    between: Callable[[], None] = lambda: None,
) -> Runs:
    """Each round runs every command once, the order turned by one each round."""
    names = list(commands)
    runs: Runs = {name: [] for name in names}
    for i in range(rounds):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            runs[name].append(commands[name]())
            between()
    return runs


def median_wall(runs: list[Run]) -> float:
    return statistics.median(r.wall for r in runs)


def ratio(runs: Runs, name: str, anchor: str) -> float:
    """The median over rounds of ``name``'s wall time over ``anchor``'s in that round."""
    return statistics.median(x.wall / y.wall for x, y in zip(runs[name], runs[anchor], strict=True))


def show(title: str, runs: Runs, anchor: str, rss: bool = True) -> None:
    """One case: each command's median wall (and peak RSS; curl's own time_total beside
    its wall, as a check on the harness), then each one's ratio to ``anchor``."""
    parts = []
    for name, these in runs.items():
        text = f"{name} {median_wall(these):.2f} s"
        extra = []
        if name.startswith("curl"):
            extra.append(f"own {curl_own(these):.2f} s")
        if rss:
            extra.append(f"{max(r.rss_mb for r in these):.1f} MiB")
        parts.append(text + (f" ({', '.join(extra)})" if extra else ""))
    ratios = [f"{name}/{anchor} {ratio(runs, name, anchor):.2f}" for name in runs if name != anchor]
    print(f"{title}\n    " + "; ".join(parts) + "\n    ratio: " + ", ".join(ratios))


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
    def __init__(self, work: Path, rounds: int, big_mb: int, before: str | None) -> None:
        self.work, self.rounds, self.big_mb = work, rounds, big_mb
        # The build measured, and an older one measured beside it in the same rounds.
        self.builds = {"pixup": tool("pixup"), **({"before": before} if before else {})}
        self.pixup = self.builds["pixup"]
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

    def uploads(
        self, *args: str, url: str | None = None, terminal: bool = False, suffix: str = ""
    ) -> dict[str, Callable[[], Run]]:
        """``pixup upload ARGS`` by each build, keyed by build name (and ``suffix``)."""
        tail = ["--endpoint", url or self.sink.url, "--max-size", "8G"]
        return {
            name + suffix: self.r([exe, "upload", *args, *tail], terminal)
            for name, exe in self.builds.items()
        }

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
        curl = {"curl -F": self.r(curl_form(self.sink.url, str(big)))}
        for label, extra in (("default (ledger on)", []), ("--no-history", ["--no-history"])):
            runs = rotated({**self.uploads(str(big), "-q", *extra), **curl}, self.rounds)
            show(f"{mb}, {label}", runs, "curl -F")
        encoded = self.work / "big.b64"
        with open(big, "rb") as src, open(encoded, "wb") as dst:
            while chunk := src.read(3 << 20):
                dst.write(base64.b64encode(chunk))
        pre = {"curl pre-encoded": self.r(curl_form(self.sink.url, str(encoded), pre_encoded=True))}
        runs = rotated({**self.uploads(str(big), "-q", "--base64"), **pre}, self.rounds)
        show(f"{mb}, --base64 (default, ledger on)", runs, "curl pre-encoded")
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
            commands = {
                **self.uploads(*files, "-q", "-j", "8", url=sink.url, suffix=" -j 8"),
                **self.uploads(*files, "-q", "-j", "1", url=sink.url, suffix=" -j 1"),
            }
            if delay == 0.0:
                curl = shlex.join(curl_form(sink.url, "{}"))
                xargs = f"xargs -P 8 -I{{}} {curl} < {shlex.quote(str(listing))} > /dev/null"
                commands["xargs -P8 curl"] = self.r(["sh", "-c", xargs])
            runs = rotated(commands, self.rounds)
            title = f"200 x 50 KB, the server answers after {delay * 1000:.0f} ms"
            show(title, runs, "pixup -j 1", rss=False)
            if delay == 0.0:
                print(f"    pixup -j 8 / xargs {ratio(runs, 'pixup -j 8', 'xargs -P8 curl'):.2f}")
            sink.close()
        self._cpu_per_file(files)

    def _cpu_per_file(self, files: list[str]) -> None:
        """pixup's own CPU (user + system) per file: 200 files less 1 file, over 199."""
        for name, exe in self.builds.items():
            cpu = []
            for batch in (files, files[:1]):
                args = [exe, "upload", *batch, "-q", "-j", "1", "--endpoint", self.sink.url]
                before = os.times()
                subprocess.run(args, env=self.env, stdout=subprocess.DEVNULL, check=True)
                after = os.times()
                cpu.append(
                    after.children_user
                    - before.children_user
                    + after.children_system
                    - before.children_system
                )
            print(f"    {name}: CPU per file {(cpu[0] - cpu[1]) / 199 * 1000:.2f} ms")

    def terminal(self) -> None:
        files = self.small_files()
        commands = {
            **self.uploads(*files, "-j", "4", terminal=True),
            **self.uploads(*files, "-j", "4", "-q", terminal=True, suffix=" -q"),
        }
        runs = rotated(commands, self.rounds)
        show("200 x 50 KB at a terminal (pty 100x30), -j 4", runs, "pixup -q", rss=False)

    def history(self) -> None:
        for rows in (100, 100_000):
            data = self.work / f"hist-{rows}"
            self._fill_ledger(data, rows)
            env = {**self.env, "PIXUP_DATA_DIR": str(data)}
            # An older pixup takes no --limit 0: a limit above the number of rows, for both.
            commands = {
                name: functools.partial(run, [exe, "history", "--json", "--limit", "1000000"], env)
                for name, exe in self.builds.items()
            }
            runs = rotated(commands, 3)
            lines = runs["pixup"][0].stdout.count("\n")
            show(f"history --json, {rows:,} records ({lines:,} lines)", runs, "pixup")

    def _fill_ledger(self, data: Path, rows: int) -> None:
        env = {**self.env, "PIXUP_DATA_DIR": str(data)}
        # An upload creates the database at its schema.
        run([self.pixup, "upload", str(PNG), "-q", "--endpoint", self.sink.url], env)
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

        to_sandbox = {"curl -F to the sandbox": self.r(curl_form(url.group(0), str(big)))}
        try:
            runs = rotated(
                {**to_sandbox, "curl -F to the sink": self.r(curl_form(self.sink.url, str(big)))},
                self.rounds,
                empty_store,
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        show(
            f"{self.big_mb} MiB by curl -F: pixup sandbox against the sink",
            runs,
            "curl -F to the sink",
        )
        big.unlink()

    def startup(self) -> None:
        x = self.work / "x.png"
        shutil.copy(PNG, x)
        commands = {"python -c 'import typer'": [sys.executable, "-c", "import typer"]}
        for name, exe in self.builds.items():
            commands |= {
                f"{name} --version": [exe, "--version"],
                f"{name} --help": [exe, "--help"],
                f"{name} thumb-url 3de -s imgly": [exe, "thumb-url", "3de", "-s", "imgly"],
                f"{name} config path": [exe, "config", "path"],
                f"{name} upload x.png --dry-run": [exe, "upload", str(x), "--dry-run"],
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
    parser.add_argument("--rounds", type=int, default=5, help="rounds per transfer")
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the big file, MiB")
    parser.add_argument(
        "--before", metavar="PIXUP", help="an older pixup command, measured in the same rounds"
    )
    parser.add_argument("cases", nargs="*", help=f"some of: {' '.join(CASES)} (default: all)")
    args = parser.parse_args()
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case {sorted(unknown)[0]!r}; cases: {' '.join(CASES)}")
    work = Path(tempfile.mkdtemp(prefix="pixup-compare-"))
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, loopback; "
        f"{args.rounds} rounds, each command once a round, the order turned each round\n"
    )
    bench = Bench(work, args.rounds, args.big_mb, args.before)
    try:
        for case in args.cases or CASES:
            getattr(bench, case)()
    finally:
        bench.sink.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
