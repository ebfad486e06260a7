"""The numba kernels of one simulated day, one module per phase of MODEL.md.

Every parallel kernel loops over fixed blocks of agents (``prange`` over blocks) and writes
only to its own agents and its own block's counters. Effects on other agents (a
misattributed sighting, a false report, a severed tie) are replayed afterwards by a serial
pass in agent order, from the same counter-based random numbers, so results never depend on
thread scheduling.
"""
