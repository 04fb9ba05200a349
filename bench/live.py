"""Live channel capacity: how many server-sent-event streams one gateway process holds, and what
they cost the requests it serves meanwhile.

    python -m bench live

Starts identity, notifications and one gateway (`agora run`, own vhost and databases), signs in
a few members, then opens streams (`GET /api/v1/me/events`) in steps up to BENCH_LIVE_STREAMS
(4000). At each step: the gateway's resident memory, open file descriptors, and p50/p99 of
GET /api/v1/ping (one RPC hop) at BENCH_CONCURRENCY (8) — as a ratio to the same figure with
no stream open, measured in the same run. Then one event fanned out: a member starts a
conversation, and the time until all of their streams received `message` (streams are spread
evenly over 8 members; the others must get nothing). The limit is the gateway's
`GATEWAY_LIVE_MAX_CONNECTIONS`; the ceiling behind it is the process's file-descriptor limit
(one socket per stream).
"""
from __future__ import annotations

import contextlib
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from .gateway import Platform, _run, signed_in_members

STEP_SIZES = (0, 500, 1000, 2000, 4000)


def _open_stream(port: int, token: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall((f"GET /api/v1/me/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode())
    received = b""
    while b"event: hello" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError(f"stream closed before hello: {received[:300]!r}")
        received += chunk
    if not received.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(received[:300].decode(errors="replace"))
    sock.setblocking(False)
    return sock


def _drain(sock: socket.socket) -> bytes:
    data = b""
    with contextlib.suppress(BlockingIOError):
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def _process_figures(pid: int) -> tuple[float, int]:
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    return rss / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def main() -> None:
    target = int(os.environ.get("BENCH_LIVE_STREAMS", "4000"))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    steps = [size for size in STEP_SIZES if size <= target] or [0]
    platform = Platform(("identity", "notifications", "conversations", "gateway"), env={
        "GATEWAY_LIVE_MAX_CONNECTIONS": str(target + 100),
        "GATEWAY_LIVE_MAX_PER_MEMBER": str(target + 100)})
    streams: list[socket.socket] = []
    try:
        platform.start()
        base, port = platform.gateway, platform.ports["gateway"]
        pid = platform.processes["gateway"].pid
        members = signed_in_members(base, 8, "Live")
        _run("ping", concurrency * 8, concurrency, base, members)  # warm-up
        rows = []
        for size in steps:
            started = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                streams += pool.map(
                    lambda i: _open_stream(port, members[i % len(members)]["token"]),
                    range(len(streams), size))
            opening = (time.perf_counter() - started) / max(1, size - (rows[-1][0] if rows
                                                                       else 0))
            ping = _run("ping", 400, concurrency, base, members)
            rss, fds = _process_figures(pid)
            rows.append((size, rss, fds, ping["p50"], ping["p99"], opening * 1000))
        baseline = rows[0]
        print(f"live streams held by one gateway process (fd limit {os.sysconf('SC_OPEN_MAX')}),"
              f" ping at {concurrency} concurrent clients")
        print(f"{'streams':>8}{'RSS MiB':>9}{'fds':>7}{'ping p50':>10}{'p50/0':>7}"
              f"{'ping p99':>10}{'p99/0':>7}{'open ms':>9}")
        for size, rss, fds, p50, p99, opening in rows:
            print(f"{size:>8}{rss:>9.0f}{fds:>7}{p50:>10.1f}{p50 / baseline[3]:>7.2f}"
                  f"{p99:>10.1f}{p99 / baseline[4]:>7.2f}{opening:>9.1f}")
        if len(rows) > 1 and rows[-1][0]:
            per_stream = (rows[-1][1] - baseline[1]) * 1024 / rows[-1][0]
            print(f"memory per stream: {per_stream:.0f} KiB")
        # one member's event, fanned out to that member's streams only: a conversation they
        # start (staff queue) announces its first message to its author's streams
        for sock in streams:
            _drain(sock)
        mine = streams[0::len(members)]
        started = time.perf_counter()
        requests.post(base + "/api/v1/conversations", timeout=30, json={
            "subject": "Mon plafond", "message": "Pouvez-vous l'augmenter ?"},
            headers={"Authorization": f"Bearer {members[0]['token']}"}).raise_for_status()
        waiting, received = set(range(len(mine))), {}
        deadline = time.monotonic() + 60
        while waiting and time.monotonic() < deadline:
            for index in list(waiting):
                received[index] = received.get(index, b"") + _drain(mine[index])
                if b"event: message" in received[index]:
                    waiting.discard(index)
            time.sleep(0.005)  # ok: poll interval of a deadline-bounded wait
        others = sum(b"event: message" in _drain(sock) for i, sock in enumerate(streams)
                     if i % len(members))
        print(f"one message fanned out to {len(mine) - len(waiting)}/{len(mine)} streams of its "
              f"member in {(time.perf_counter() - started) * 1000:.0f} ms (from the POST); "
              f"streams of other members that got it: {others}")
    finally:
        for sock in streams:
            with contextlib.suppress(OSError):
                sock.close()
        platform.stop()
