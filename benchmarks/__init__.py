"""Accord's benchmarks: `python -m benchmarks` (or `./run bench`).

Every figure is printed beside a baseline measured in the same run on the same machine
(nginx for the click endpoint, plain bulk inserts for conversions), because absolute numbers
mean little across machines and ratios do. Nothing here asserts on a time.
"""
