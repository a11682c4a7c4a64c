#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed inputs for fuzz_xswire: a plan byte, then xenstored's messages
(struct xsd_sockmsg: type, req_id, tx_id, len, all u32 LE; then len bytes)."""
import struct
import sys
import os

XS_READ, XS_WRITE, XS_WATCH_EVENT, XS_ERROR = 2, 11, 15, 16


def msg(t, body):
    return struct.pack("<IIII", t, 0, 0, len(body)) + body


def event(path, token):
    return msg(XS_WATCH_EVENT, path + b"\0" + token + b"\0")


seeds = {
    "event": b"\x00" + event(b"/local/domain/1/data/ptswitch/caps", b"g1"),
    "events-then-reply": b"\x08" + event(b"@introduceDomain", b"@intro")
    + event(b"@releaseDomain", b"@release") + msg(XS_READ, b"missing-pde"),
    "posted-reads": b"\x03" + msg(XS_READ, b"1 ok") + msg(XS_READ, b"x" * 40)
    + msg(XS_READ, b"caps") + event(b"/a", b"t"),
    "error-replies": b"\x0f" + msg(XS_ERROR, b"ENOENT\0") + msg(XS_ERROR, b"EACCES\0")
    + msg(XS_ERROR, b"E2BIG\0") + msg(XS_WRITE, b"OK\0") + msg(XS_ERROR, b"EINVAL\0"),
    "split-message": b"\x08" + msg(XS_READ, b"value")[:10],
    "unsolicited-reply": b"\x00" + msg(XS_READ, b"nobody asked"),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
