"""The simulation core: the day loop, the agents' state, counters, random streams, the
memory estimate and the scenario compiled to kernel parameters."""
