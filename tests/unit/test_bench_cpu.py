"""bench/_common.CpuMeter: the CPU the server (a process and its children), PostgreSQL, the Celery
worker and Redis, and the benchmark's own threads spent, which the diary benchmark prints per
request beside the throughput."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench._common import CpuMeter, CpuUse, Server, _processes

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the meter reads Linux's /proc")

# Told "go", burns CPU for `seconds` in itself and in a child of its own (named NAME, as
# PostgreSQL's processes are), says "burnt" once both have, then waits to be told to stop: both
# are alive when the meter reads them (a process that has ended takes its CPU with it).
BURN = """
import os, sys, time
def burn(seconds):
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass
seconds, name = float(sys.argv[1]), sys.argv[2]
sys.stdin.readline()
done_r, done_w = os.pipe()
child = os.fork()
if child == 0:
    with open("/proc/self/comm", "w") as comm:
        comm.write(name)
    burn(seconds)
    os.write(done_w, b"x")
    time.sleep(60)
    os._exit(0)
burn(seconds)
os.read(done_r, 1)
print("burnt", flush=True)
sys.stdin.read()
os.kill(child, 9)
"""


def _server(pid: int, *, celery_pid: int = 0, redis_port: int = 0) -> Server:
    nowhere = Path("/dev/null")
    return Server(
        port=0,
        access_log=nowhere,
        error_log=nowhere,
        workers=1,
        worker_class="sync",
        pid=pid,
        celery_pid=celery_pid,
        redis_port=redis_port,
    )


def _burn_here(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


def _measure(
    seconds: float,
    child_name: str,
    *,
    burn_here: float = 0.0,
    as_celery: bool = False,
    listens_on: str = "",
    redis_port: int = 0,
):
    burner = subprocess.Popen(
        # `listens_on` only shows in the command line, where redis-server shows its address.
        [sys.executable, "-c", BURN, str(seconds), child_name, listens_on],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    # As the Celery worker, the burner serves a server that only sleeps; otherwise it is the server.
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) if as_celery else None
    try:
        server = (
            _server(sleeper.pid, celery_pid=burner.pid)
            if sleeper
            else _server(burner.pid, redis_port=redis_port)
        )
        meter = CpuMeter(server)
        meter.start()
        burner.stdin.write("go\n")
        burner.stdin.flush()
        ready, _, _ = select.select([burner.stdout], [], [], 60)
        assert ready, "the burner never said it had burnt"
        assert burner.stdout.readline().strip() == "burnt"
        _burn_here(burn_here)
        return meter.stop()
    finally:
        burner.communicate("")
        if sleeper:
            sleeper.kill()
            sleeper.wait()


def test_the_server_and_its_workers_and_this_process_are_each_counted():
    used = _measure(0.3, "worker", burn_here=0.2)

    assert used is not None
    # /proc counts in ticks of 10 ms, each process may lose up to two to rounding.
    assert 0.55 <= used.web <= 0.9, used  # the master and its worker, 0.3 s each
    assert 0.17 <= used.client <= 0.5, used
    assert used.total == pytest.approx(used.web + used.database + used.client + used.worker)


def test_the_celery_worker_and_its_pool_are_counted_apart_from_the_server():
    used = _measure(0.3, "worker", as_celery=True)

    assert used is not None
    assert 0.55 <= used.worker <= 0.9, used  # the worker's main process and its pool child
    assert used.web < 0.1, used  # the "server" here only sleeps


def test_the_workers_redis_is_counted_with_the_worker_and_no_other_redis():
    ours = _measure(0.3, "redis-server", listens_on="127.0.0.1:6391", redis_port=6391)
    another = _measure(0.3, "redis-server", listens_on="127.0.0.1:63910", redis_port=6391)

    assert ours is not None
    assert another is not None
    assert 0.27 <= ours.worker <= 0.5, ours  # the child named redis-server, on the worker's port
    assert another.worker == 0, another  # a redis-server on another port is nobody's here


def test_postgresql_is_counted_by_its_processes_name():
    used = _measure(0.3, "postgres")

    assert used is not None
    assert 0.27 <= used.web <= 0.5, used  # the master alone
    assert used.database >= 0.27, used  # the child named postgres (and any real one meanwhile)


def test_user_and_system_time_are_both_counted():
    with open("/dev/zero", "rb", buffering=0) as zeros:  # reading it is the kernel's work
        until = time.process_time() + 0.3
        while time.process_time() < until:
            zeros.read(1 << 20)
    spent = os.times()

    counted = _processes()[os.getpid()].cpu

    assert spent.system > 0.05, spent  # the check below would not tell a missing system time
    assert counted == pytest.approx(spent.user + spent.system, abs=0.05)


def test_a_server_that_is_gone_is_not_measured():
    no_such_pid = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1

    meter = CpuMeter(_server(no_such_pid))
    meter.start()
    assert meter.stop() is None


def test_uses_add_up_by_who_spent_them():
    both = CpuUse(web=1.0, database=0.5, client=0.25, worker=0.5) + CpuUse(web=2.0, database=0.25, client=0.0)

    assert both == CpuUse(web=3.0, database=0.75, client=0.25, worker=0.5)
    assert both.total == 4.5
