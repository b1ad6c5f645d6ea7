"""One deadline per HTTP attempt, kept by one watchdog thread for the whole process.

Socket timeouts bound each read, not the exchange: a server that drips its status line a
byte a second, or sends ``100 Continue`` forever, never lets a single read time out. So
an :class:`Attempt` knows the sockets it uses and, when its deadline passes, the watchdog
shuts them down, which ends whatever read or write is blocked on them.

While the request is being sent the deadline moves with each block that leaves (a slow
but steady upload goes on; a stalled one ends); from the last block on it is fixed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Attempt:
    """The deadline of one request and its answer, and the sockets it uses."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.sending = True
        # Each watched socket beside a duplicate of its descriptor: shutting the duplicate
        # down ends the connection even after TLS has taken the original over, and the
        # number cannot be reused by another thread's socket while the attempt holds it.
        self._sockets: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._unsent = 0

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if any(known is sock for known, _ in self._sockets):
                return
            try:
                dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
            except OSError:  # closed already: nothing can block on it
                return
            self._sockets.append((sock, dup))
            if self.expired:
                _shut(dup)

    def progress(self) -> None:
        """A block of the request left: a stall is measured from here."""
        if self.sending:
            self.at = time.monotonic() + self.seconds

    def sent(self) -> None:
        """The whole request left: the whole answer has ``seconds`` from now, no more."""
        self.at = time.monotonic() + self.seconds
        self.sending = False

    def moving(self) -> bool:
        """Whether the kernel is still getting the request out: bytes handed to it are
        sent at the line's pace, so a queue that shrank since the last look is progress,
        and moves the deadline on (where the system can tell; elsewhere it is not)."""
        with self._lock:
            unsent = sum(_unsent(dup) for _, dup in self._sockets)
        if unsent and unsent != self._unsent:
            self._unsent = unsent
            self.at = time.monotonic() + self.seconds
            return True
        return False

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for _, dup in self._sockets:
                _shut(dup)

    def close(self) -> None:
        with self._lock:
            for _, dup in self._sockets:
                dup.close()
            self._sockets.clear()


def _unsent(sock: socket.socket) -> int:
    """Bytes queued on ``sock`` that the peer has not acknowledged yet (Linux's
    SIOCOUTQ, which is TIOCOUTQ); 0 where that cannot be asked."""
    try:
        import fcntl
        import struct
        import termios

        queued = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
        return int(struct.unpack("i", queued)[0])
    except (ImportError, AttributeError, OSError):
        return 0


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing is blocked on it
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """A single daemon thread that expires attempts whose deadline has passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._attempts: set[Attempt] = set()
        self._thread: threading.Thread | None = None

    def start(self, attempt: Attempt) -> None:
        with self._cond:
            self._attempts.add(attempt)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pixup-deadline", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def stop(self, attempt: Attempt) -> None:
        with self._cond:
            self._attempts.discard(attempt)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for attempt in [a for a in self._attempts if a.at <= now]:
                    if not attempt.moving():
                        self._attempts.discard(attempt)
                        attempt.expire()
                # Deadlines only move later, so waking at the earliest one is never late.
                nearest = min((a.at for a in self._attempts), default=None)
                now = time.monotonic()
                self._cond.wait(None if nearest is None else max(0.0, nearest - now))


WATCHDOG = _Watchdog()
_current = threading.local()


def current() -> Attempt | None:
    """The attempt this thread is making, for the connection that carries it."""
    attempt: Attempt | None = getattr(_current, "attempt", None)
    return attempt


class running:
    """``with running(attempt):`` makes ``attempt`` this thread's and watches its deadline."""

    def __init__(self, attempt: Attempt) -> None:
        self._attempt = attempt

    def __enter__(self) -> Attempt:
        _current.attempt = self._attempt
        WATCHDOG.start(self._attempt)
        return self._attempt

    def __exit__(self, *exc: object) -> None:
        WATCHDOG.stop(self._attempt)
        self._attempt.close()
        _current.attempt = None
