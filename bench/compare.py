#!/usr/bin/env python3
"""Benchmark pixup against curl: start-up, one big upload, and many small ones.

Not a test: it prints figures (recorded in bench/README.md). Needs hyperfine and GNU time
(Debian packages `hyperfine` and `time`) and curl; run from the repository with pixup
installed: `python bench/compare.py`.

Both tools send the same TwitrPix API 1 request (the credentials are form fields, so every
curl run is valid; OAuth Echo would need a fresh signature per run). Each transfer is
measured twice: against `pixup sandbox`, and against a sink that reads the body and answers
at once, to show whether the sandbox is the bottleneck.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from pixup.sandbox.accounts import SANDBOX

PNG = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sample.png"
ANSWER = json.dumps(
    {"response": {"media": {"id": "x", "url": "http://sink/x"}, "user": {"id": "1"}}}
).encode()


def tool(name: str) -> str:
    path = shutil.which(name, path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    if not path:
        sys.exit(f"bench: {name} is not installed")
    return path


class Sink:
    """Reads each request's body and discards it, then answers a TwitrPix success; with
    ``delay`` it waits that long first, like a service's processing time."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        stream = conn.makefile("rb")
        try:
            while True:  # keep-alive: several requests per connection
                length = 0
                line = stream.readline()
                if not line:
                    return
                while line not in (b"\r\n", b"\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                    line = stream.readline()
                while length > 0:
                    length -= len(stream.read(min(length, 1 << 20)))
                if self.delay:
                    time.sleep(self.delay)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(ANSWER)}\r\n\r\n".encode()
                    + ANSWER
                )
        except OSError:
            return
        finally:
            conn.close()


def hyperfine(commands: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Median wall seconds of each command, measured in one hyperfine run (the median,
    because a virtual machine's stray slow runs move the mean)."""
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


def peak_rss_mb(args: list[str], env: dict[str, str]) -> float:
    result = subprocess.run(["/usr/bin/time", "-v", *args], env=env, capture_output=True, text=True)
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    assert match, result.stderr[-500:]
    return int(match.group(1)) / 1024


def curl_upload(url: str, file: str) -> list[str]:
    fields = {
        "api_key": SANDBOX.api_key,
        "consumer_token": SANDBOX.consumer_key,
        "consumer_secret": SANDBOX.consumer_secret,
        "oauth_token": SANDBOX.token,
        "oauth_secret": SANDBOX.token_secret,
    }
    args = [tool("curl"), "-sS", "-f", "-o", "/dev/null"]
    for k, v in fields.items():
        args += ["-F", f"{k}={v}"]
    return [*args, "-F", f"media=@{file};type=image/png", f"{url}/1/upload.json"]


def main() -> None:
    pixup = tool("pixup")
    work = Path(tempfile.mkdtemp(prefix="pixup-compare-"))
    sandbox = subprocess.Popen(
        [pixup, "sandbox", "--port", "0", "--max-size", "4G", "--data-dir", str(work / "sb")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert sandbox.stdout is not None
    sandbox_url = sandbox.stdout.readline().rsplit(" ", 1)[1].strip()
    env = {**os.environ, "PIXUP_NO_KEYRING": "1", "PIXUP_CONFIG_DIR": str(work / "cfg")}
    # Measure what an installed pixup does: with bytecode caching off, every run would
    # compile pixup's sources again (some environments set this variable).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, loopback\n")

        print("start-up (hyperfine, 60 runs each, median; callgrind instructions):")
        commands = {
            "python -c 'import typer'": [sys.executable, "-c", "import typer"],
            "pixup --help": [pixup, "--help"],
            "pixup thumb-url 3de -s imgly": [pixup, "thumb-url", "3de", "-s", "imgly"],
            "pixup config path": [pixup, "config", "path"],
        }
        medians = hyperfine([shlex.join(c) for c in commands.values()], 60, env)
        counts = [instructions(c, env) for c in commands.values()]
        for name, median, count in zip(commands, medians, counts, strict=True):
            line = f"  {name:<32} {median * 1000:7.1f} ms  {median / medians[0]:.2f}x"
            if count and counts[0]:
                line += f"   {count / 1e6:7.1f} M instructions  {count / counts[0]:.2f}x"
            print(line)

        big = work / "big.png"
        with open(big, "wb") as fh:
            fh.write(PNG.read_bytes()[:64])
            fh.truncate(200 * 1024 * 1024)
        for label, url in (("sandbox", sandbox_url), ("sink", Sink().url)):
            pix = [pixup, "upload", str(big), "--endpoint", url, "--max-size", "4G", "-q"]
            cur = curl_upload(url, str(big))
            means = hyperfine(
                [" ".join(pix), " ".join(f"'{a}'" for a in cur)],
                5,
                {**env, **SANDBOX.environment(url)},
            )
            rss_p = peak_rss_mb(pix, {**env, **SANDBOX.environment(url)})
            rss_c = peak_rss_mb(cur, env)
            print(
                f"\n200 MB upload to the {label}: pixup {means[0]:.2f} s ({rss_p:.1f} MB peak), "
                f"curl {means[1]:.2f} s ({rss_c:.1f} MB peak): ratio {means[0] / means[1]:.2f}"
            )
            for stored in (work / "sb").iterdir():
                stored.unlink()

        small_dir = work / "small"
        small_dir.mkdir()
        files = []
        for i in range(200):
            shutil.copy(PNG, small_dir / f"{i:03}.png")
            files.append(str(small_dir / f"{i:03}.png"))
        list_file = work / "files.txt"
        list_file.write_text("\n".join(files) + "\n")
        urllib.request.urlopen(
            urllib.request.Request(
                sandbox_url + "/_sandbox/state", data=b'{"delay": 0.05}', method="POST"
            ),
            timeout=5,
        ).read()
        for label, url in (("sandbox", sandbox_url), ("sink", Sink(delay=0.05).url)):
            curl_cmd = " ".join(f"'{a}'" for a in curl_upload(url, "{}"))
            script = work / f"xargs-{label}.sh"
            script.write_text(f"xargs -P 8 -I{{}} {curl_cmd} < '{list_file}'\n")
            pix = f"{pixup} upload {' '.join(files)} --endpoint {url} -j 8 -q"
            means = hyperfine([pix, f"sh {script}"], 5, {**env, **SANDBOX.environment(url)})
            print(
                f"\n200 small files, 50 ms each, to the {label}: pixup -j 8 {means[0]:.2f} s, "
                f"xargs -P 8 curl {means[1]:.2f} s: ratio {means[0] / means[1]:.2f}"
            )
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
