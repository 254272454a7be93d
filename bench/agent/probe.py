#!/usr/bin/env python3
"""The policy-import probe.
    probe.py recv PORT OUT     waits for the first UDP datagram on PORT, writes its arrival time (CLOCK_REALTIME,
                               microseconds) and its sequence number to OUT, and exits
    probe.py send ADDR PORT    sends a datagram with a sequence number to ADDR:PORT every millisecond until killed
"""
import socket, struct, sys, time

if sys.argv[1] == "recv":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[2])))
    data, _ = s.recvfrom(64)
    at = time.time_ns() // 1000
    with open(sys.argv[3], "w") as f:
        f.write("%d %d\n" % (at, struct.unpack("!Q", data[:8])[0]))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target = (sys.argv[2], int(sys.argv[3]))
    seq, start = 0, time.monotonic()
    while True:
        seq += 1
        try:
            s.sendto(struct.pack("!Q", seq), target)
        except OSError:
            pass
        delay = start + seq * 0.001 - time.monotonic()   # one every millisecond, without drift
        if delay > 0:
            time.sleep(delay)
