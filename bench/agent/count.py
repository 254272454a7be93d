#!/usr/bin/env python3
"""Counts the monitor's lines as they arrive, per 100 ms window of arrival time (CLOCK_REALTIME, microseconds):
    membrane monitor -o json | count.py OUT      writes "WINDOW_START_US COUNT" lines to OUT when its input ends
"""
import sys, time

counts = {}
for _ in sys.stdin:
    window = time.time_ns() // 100_000_000
    counts[window] = counts.get(window, 0) + 1
with open(sys.argv[1], "w") as out:
    for window in sorted(counts):
        out.write("%d %d\n" % (window * 100_000, counts[window]))
