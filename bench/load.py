"""The load generator: client processes, each an asyncio loop sending HTTP/1.1 itself.

A minimal client (keep-alive connections, `Content-Length` answers) rather than httpx: measured
on this project's 2-core machine, httpx 0.28 with httpcore 1.0 spent 1.5 to 15 ms of CPU per
request, growing with the number of connections in its pool, where this one spends about
0.2 ms, so the load generator no longer competes with the server it measures.

Closed loop: a fixed number of requests in flight, each worker sending its next request as soon
as the previous one is answered. Open loop: requests started at a fixed rate whether or not the
earlier ones were answered; their latency counts from when they were due, so a server (or
client) that falls behind shows it in the latency instead of quietly lowering the offered load.

Every process starts at the same moment and measures the same window: a warm-up, then
`duration` seconds in which each answered request is counted (by when its answer came).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from urllib.parse import urlsplit

REQUEST_TIMEOUT = 30.0
OPEN_LOOP_CONNECTIONS = 256
START_DELAY = 0.5  # seconds between forking the clients and their first request

# Fork: a child is running within milliseconds and imports nothing again.
_CONTEXT = multiprocessing.get_context("fork")


class Mode(StrEnum):
    CLOSED = "closed"
    OPEN = "open"


@dataclass(frozen=True)
class Load:
    """Closed loop: `level` requests in flight. Open loop: `level` requests started a second."""

    mode: Mode
    level: int

    @property
    def label(self) -> str:
        return f"c={self.level}" if self.mode is Mode.CLOSED else f"{self.level}/s"

    def split(self, parts: int) -> list[Load]:
        """This load shared out over `parts` client processes (fewer if it is smaller)."""
        base, extra = divmod(self.level, parts)
        shares = [base + (1 if i < extra else 0) for i in range(parts)]
        return [Load(self.mode, share) for share in shares if share > 0]


@dataclass(frozen=True)
class Endpoint:
    """What every request of a run is: a POST of the same body; a fresh Idempotency-Key each."""

    url: str
    body: bytes
    headers: dict[str, str]
    expected_status: int = 201


@dataclass(frozen=True)
class Window:
    """Monotonic clock times (the same clock in every process on Linux)."""

    start: float
    warmup: float
    duration: float

    @property
    def measure_start(self) -> float:
        return self.start + self.warmup

    @property
    def measure_end(self) -> float:
        return self.measure_start + self.duration


@dataclass
class ClientResult:
    """What the clients saw in the window: latencies of successes (s), errors by kind, CPU (s)."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0

    def merge(self, other: ClientResult) -> ClientResult:
        return ClientResult(
            self.latencies + other.latencies,
            self.errors + other.errors,
            self.cpu_seconds + other.cpu_seconds,
        )


@dataclass
class Clients:
    """Running client processes, each with the pipe its result comes back on."""

    processes: list[BaseProcess]
    pipes: list[Connection]

    def collect(self) -> ClientResult:
        """Wait for every process's result; after the window they finish within the timeout."""
        results = [pipe.recv() for pipe in self.pipes]
        for process in self.processes:
            process.join()
        total = ClientResult()
        for result in results:
            total = total.merge(result)
        return total

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()


@contextlib.contextmanager
def running_clients(
    endpoint: Endpoint, load: Load, window: Window, processes: int
) -> Iterator[Clients]:
    """Fork the client processes for `load`; they are stopped on leaving, finished or not."""
    clients = Clients([], [])
    try:
        for share in load.split(processes):
            receiver, sender = _CONTEXT.Pipe(duplex=False)
            process = _CONTEXT.Process(
                target=_client_main, args=(endpoint, share, window, sender), daemon=True
            )
            process.start()
            sender.close()  # the child holds the only sending end: its death ends `recv`
            clients.processes.append(process)
            clients.pipes.append(receiver)
        yield clients
    finally:
        clients.stop()


def new_window(warmup: float, duration: float) -> Window:
    return Window(time.monotonic() + START_DELAY, warmup, duration)


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def _client_main(endpoint: Endpoint, load: Load, window: Window, pipe: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    pipe.send(asyncio.run(_client(endpoint, load, window)))
    pipe.close()


@dataclass
class _Recorder:
    window: Window
    result: ClientResult = field(default_factory=ClientResult)

    def record(self, started: float, error: str | None) -> None:
        """Count an answer (or failure) that came within the window."""
        done = time.monotonic()
        if not self.window.measure_start <= done < self.window.measure_end:
            return
        if error is None:
            self.result.latencies.append(done - started)
        else:
            self.result.errors[error] += 1


async def _client(endpoint: Endpoint, load: Load, window: Window) -> ClientResult:
    size = load.level if load.mode is Mode.CLOSED else OPEN_LOOP_CONNECTIONS
    pool = _Pool(endpoint, size)
    recorder = _Recorder(window)
    await _async_sleep_until(window.start)
    cpu = asyncio.create_task(_window_cpu_seconds(window))
    try:
        if load.mode is Mode.CLOSED:
            await asyncio.gather(*(_closed_worker(pool, recorder) for _ in range(load.level)))
        else:
            await _open_loop(pool, load.level, recorder)
        recorder.result.cpu_seconds = await cpu
    finally:
        pool.close()
    return recorder.result


async def _closed_worker(pool: _Pool, recorder: _Recorder) -> None:
    while (started := time.monotonic()) < recorder.window.measure_end:
        recorder.record(started, await pool.send())


async def _open_loop(pool: _Pool, rate: int, recorder: _Recorder) -> None:
    async def one(due: float) -> None:
        recorder.record(due, await pool.send())

    in_flight: set[asyncio.Task[None]] = set()
    for n in itertools.count():
        due = recorder.window.start + n / rate
        if due >= recorder.window.measure_end:
            break
        await _async_sleep_until(due)
        task = asyncio.create_task(one(due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)


async def _window_cpu_seconds(window: Window) -> float:
    """CPU time this client process used within the window."""
    await _async_sleep_until(window.measure_start)
    before = time.process_time()
    await _async_sleep_until(window.measure_end)
    return time.process_time() - before


async def _async_sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


class _ProtocolError(Exception):
    """An answer this client does not read (malformed, or chunked)."""


class _Pool:
    """`size` keep-alive connections; a request waits for an idle one (LIFO keeps them warm)."""

    def __init__(self, endpoint: Endpoint, size: int) -> None:
        url = urlsplit(endpoint.url)
        self.expected_status = endpoint.expected_status
        self.body = endpoint.body
        headers = {"Host": url.netloc, **endpoint.headers, "Content-Length": str(len(self.body))}
        lines = [f"POST {url.path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
        self.head = "\r\n".join([*lines, "Idempotency-Key: "]).encode()
        self.idle: asyncio.LifoQueue[_Connection] = asyncio.LifoQueue()
        for _ in range(size):
            self.idle.put_nowait(_Connection(url.hostname or "127.0.0.1", url.port or 80))

    async def send(self) -> str | None:
        """One request; None when answered as expected, otherwise what went wrong."""
        request = self.head + uuid.uuid4().hex.encode() + b"\r\n\r\n" + self.body
        connection = await self.idle.get()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                status = await connection.exchange(request)
        except (OSError, EOFError, asyncio.LimitOverrunError, _ProtocolError) as error:
            connection.close()  # TimeoutError is an OSError; the next request reconnects
            return type(error).__name__
        finally:
            self.idle.put_nowait(connection)
        return None if status == self.expected_status else f"HTTP {status}"

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get_nowait().close()


class _Connection:
    """One HTTP/1.1 connection, opened on first use and again after an error or a close."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def exchange(self, request: bytes) -> int:
        """Send one request and read its whole answer; returns the status code."""
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(request)
        status, length, close = _response_head(await reader.readuntil(b"\r\n\r\n"))
        await reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def _response_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server closes the connection after this answer."""
    status_line, *lines = head.rstrip(b"\r\n").split(b"\r\n")
    fields = {}
    for line in lines:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip().lower()
    if b"transfer-encoding" in fields:
        raise _ProtocolError("chunked answers are not read by this client")
    try:
        return (
            int(status_line.split(b" ", 2)[1]),
            int(fields.get(b"content-length", b"0")),
            fields.get(b"connection") == b"close",
        )
    except (IndexError, ValueError) as error:
        raise _ProtocolError(f"malformed answer: {head[:200]!r}") from error
