#!/usr/bin/env python3
"""moto's own time per request, in milliseconds: 300 calls of one cheap request over one keep-alive
connection, unsigned (moto does not check signatures without IAM enforcement), after 20 to warm up.

    benches/moto_per_request.py PORT PATH      e.g. PATH = /bench-backup-00000?tagging
"""
import http.client
import sys
import time

conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))


def call():
    conn.request("GET", sys.argv[2], headers={"Host": "127.0.0.1"})
    conn.getresponse().read()


for _ in range(20):
    call()
t = time.perf_counter()
for _ in range(300):
    call()
print("%.2f" % ((time.perf_counter() - t) / 300 * 1000))
