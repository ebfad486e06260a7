"""Time spent compiling or loading kernels is measured, announced once, and left out of
speeds (agent-days per second); a Ctrl-C during a compilation is raised when it ends."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from numba import njit
from numba.core import event

import scsim
from scsim.core import precompile
from scsim.core.compiling import KernelTime, on_first_compile
from scsim.core.engine import Simulation


def fresh_kernel():
    """A kernel numba has not compiled yet (no on-disk cache)."""

    @njit(cache=False)
    def total(x):
        s = 0.0
        for v in x:
            s += v
        return s

    return total


def test_compiling_is_measured_and_announced_once():
    kernel, announced, kernels = fresh_kernel(), [], KernelTime()
    with on_first_compile(announced.append), kernels.measure():
        assert kernel(np.arange(4.0)) == 6.0
        kernel(np.arange(3.0))  # compiled already: nothing more
        fresh_kernel()(np.arange(3.0))  # a second compilation, not announced again
    assert announced == [10]  # a kernel the registry did not foresee: about 10 s
    assert kernels.compiling > 0 and kernels.total >= kernels.compiling
    before = kernels.total
    with kernels.measure():
        kernel(np.arange(5.0))  # no compilation, no loading
    assert kernels.total == before


def test_speed_leaves_out_the_kernels(monkeypatch):
    load = precompile.load

    def load_and_compile(epochs):  # loading the day's kernels takes a compilation here
        load(epochs)
        fresh_kernel()(np.arange(3.0))

    monkeypatch.setattr(precompile, "load", load_and_compile)
    sim = Simulation(scsim.load_scenario("pilot-1000", agents=1000, days=10), seed=1)
    res = sim.run()
    info = res.info
    # the kernel seconds of setup are part of it: building and simulating take the rest
    assert 0 < sim.setup_kernels.total <= info["setup_seconds"]
    assert info["setup_seconds"] + info["wall_seconds"] >= info["kernel_seconds"]
    assert info["kernel_seconds"] == round(sim.setup_kernels.total + sim.kernels.total, 4)
    assert info["agent_days_per_second"] == round(
        1000 * 10 / max(sim.elapsed - sim.kernels.total, 1e-9))
    assert 0 <= sim.kernels.total <= info["wall_seconds"]


def test_the_command_line_says_once_that_it_compiles(capsys):
    from scsim.cli.progress import compile_notice

    with compile_notice():
        fresh_kernel()(np.arange(3.0))
        fresh_kernel()(np.arange(2.0))
    err = capsys.readouterr().err
    assert err.count("compiling the kernels once, about 10 s") == 1
    with compile_notice(quiet=True):
        fresh_kernel()(np.arange(3.0))
    assert capsys.readouterr().err == ""


class _CtrlC(event.Listener):
    """Sends this process a SIGINT when the event it listens to starts."""

    def on_start(self, ev) -> None:
        os.kill(os.getpid(), signal.SIGINT)

    def on_end(self, ev) -> None:
        pass


@pytest.mark.parametrize("when", ["numba:compile", "numba:compiler_lock"])
def test_a_ctrl_c_during_a_compilation_is_raised_when_it_ends(when):
    """A KeyboardInterrupt raised inside one of the finalizers numba's compiler runs, or in
    a ctypes callback from LLVM, is printed and lost; held until the compilation (or the
    load from the cache: both hold the compiler lock) ends, it always reaches the caller."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's KeyboardInterrupt here (a background job)")
    kernel = fresh_kernel()
    with pytest.raises(KeyboardInterrupt), KernelTime().measure(), \
            event.install_listener(when, _CtrlC()):
        kernel(np.arange(3.0))
    assert len(kernel.signatures) == 1  # compiled to the end, then interrupted
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert kernel(np.arange(3.0)) == 3.0
