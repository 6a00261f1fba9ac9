"""Ctrl-C and exceptions raised by a progress callback stop a call: the Python exception
comes out of it, the interpreter lives on, and the GIL is free meanwhile."""
import signal
import threading
import time

import numpy as np
import pytest

import taskscout
from conftest import write_esm


@pytest.fixture(scope="module")
def big_pool(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    rng = np.random.default_rng(5)
    # ~1 s of ranking on one thread: long enough to interrupt in the middle.
    for i in range(600):
        write_esm(folder / f"s{i:04d}.safetensors", np.eye(96) + rng.normal(scale=0.1, size=(96, 96)))
    x = rng.normal(size=(400, 96)).astype(np.float32)
    y = np.arange(400) % 4
    return folder, x, y


def test_a_raising_callback_stops_the_ranking(big_pool):
    folder, x, y = big_pool
    calls = []

    def progress(phase, done, total, detail):
        calls.append(done)
        if done >= 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        taskscout.rank_pool(esms=[folder], target=(x, y), progress=progress, threads=1)
    assert max(calls) < 600  # it stopped early

    def broken(phase, done, total, detail):
        raise ValueError("my callback failed")

    with pytest.raises(ValueError, match="my callback failed"):
        taskscout.rank_pool(esms=[folder], target=(x, y), progress=broken)
    # The module is still usable afterwards.
    assert len(list(taskscout.rank_pool(esms=[folder], target=(x, y), k=3))) == 3


def test_ctrl_c_interrupts_a_ranking(big_pool):
    folder, x, y = big_pool
    start = time.perf_counter()
    taskscout.rank_pool(esms=[folder], target=(x, y), threads=1)
    full = time.perf_counter() - start
    # SIGINT from another thread a quarter of the way in: the next progress callback on the
    # main thread sees it (PyErr_CheckSignals) and stops the ranking.
    timer = threading.Timer(full / 4, signal.raise_signal, (signal.SIGINT,))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        taskscout.rank_pool(esms=[folder], target=(x, y), threads=1)
    stopped = time.perf_counter() - start
    timer.join()
    assert stopped < full * 0.9, (stopped, full)


def test_the_gil_is_released_while_ranking(big_pool):
    folder, x, y = big_pool
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    t = threading.Thread(target=ticker)
    t.start()
    start = time.perf_counter()
    taskscout.rank_pool(esms=[folder], target=(x, y), threads=1)
    end = time.perf_counter()
    done.set()
    t.join()
    during = [s for s in ticks if start < s < end]
    # A held GIL would let the ticker run only between Python bytecodes of this thread: none
    # while the C++ call runs. Released, it ticks every ~5 ms throughout.
    assert len(during) >= max(2, int((end - start) / 0.005 * 0.3)), (len(during), end - start)
