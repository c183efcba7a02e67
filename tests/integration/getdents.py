#!/usr/bin/env python3
"""getdents.py - list a directory with getdents64(2) and a small buffer,
as a reader with little memory (or a slow one) does, for
test_listing_exact.sh.

usage: getdents.py DIR BUFSIZE [PAUSE_AFTER PAUSED_FILE GO_FILE]
Prints every name the kernel returns, one a line (. and .. included).
With PAUSE_AFTER: after that many getdents64 calls, writes the last name
returned so far to PAUSED_FILE and waits until GO_FILE exists, then reads
on; so a test can change the directory between two reads.  An error of
getdents64 is printed as "getdents64: <strerror>" on stderr, exit 1.
"""
import ctypes
import os
import struct
import sys
import time

SYS_GETDENTS64 = {"x86_64": 217, "aarch64": 61}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def main():
    path, size = sys.argv[1], int(sys.argv[2])
    pause = int(sys.argv[3]) if len(sys.argv) > 3 else -1
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    buf = ctypes.create_string_buffer(size)
    calls, last = 0, ""
    out = sys.stdout
    while True:
        n = libc.syscall(SYS_GETDENTS64, fd, buf, size)
        if n < 0:
            e = ctypes.get_errno()
            print("getdents64: %s" % os.strerror(e), file=sys.stderr)
            sys.exit(1)
        if n == 0:
            break
        calls += 1
        raw = buf.raw[:n]
        pos = 0
        while pos < n:
            _ino, _off, reclen, _type = struct.unpack_from("<QqHB", raw, pos)
            name = raw[pos + 19:pos + reclen].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            out.write(name + "\n")
            last = name
            pos += reclen
        if calls == pause:
            out.flush()
            with open(sys.argv[4], "w") as f:
                f.write(last + "\n")
            while not os.path.exists(sys.argv[5]):
                time.sleep(0.02)
    os.close(fd)


main()
