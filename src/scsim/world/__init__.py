"""Day 0: the synthetic population, its tie network and the small network sample that a
result keeps for pictures."""
