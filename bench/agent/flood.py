#!/usr/bin/env python3
"""Sends UDP datagrams to ADDR:PORT at RATE a second, in bursts of 100 a millisecond-tenth apart, for SECONDS:
    flood.py ADDR PORT RATE SECONDS
"""
import socket, sys, time

addr, port, rate, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"x" * 16
sent, start = 0, time.monotonic()
while time.monotonic() - start < seconds:
    for _ in range(100):
        try:
            s.sendto(payload, (addr, port))
        except OSError:
            pass
    sent += 100
    delay = start + sent / rate - time.monotonic()   # RATE a second, without drift
    if delay > 0:
        time.sleep(delay)
print(sent)
