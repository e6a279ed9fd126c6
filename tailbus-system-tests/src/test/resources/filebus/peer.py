#!/usr/bin/env python3
"""A filebus peer written the way the reference Python filebus works on disk, for interop tests.

usage: peer.py FILE producer|consumer lossless|lossy [BLOCK_SIZE]

producer: stdin -> chunks of at most BLOCK_SIZE bytes, each written to FILE.__new__ and renamed
onto FILE while holding fcntl.flock(LOCK_EX) on FILE.lock; lossless waits until FILE is gone and
ends with an empty chunk. consumer lossless: takes each FILE under the lock, writes it to stdout,
unlinks it, and ends at the empty chunk. Polls every 10 ms, as the reference polls.
"""
import fcntl
import os
import sys
import time


def locked(lock_path):
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o666)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            time.sleep(0.01)


def unlock(fd):
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def produce(path, lossless, block_size):
    stdin = sys.stdin.buffer
    while True:
        chunk = stdin.read(block_size)
        write(path, chunk, lossless)
        if not chunk:
            return


def write(path, chunk, lossless):
    if not chunk and not lossless:
        return
    while True:
        if lossless and os.path.exists(path):
            time.sleep(0.01)
            continue
        fd = locked(path + ".lock")
        try:
            if lossless and os.path.exists(path):
                continue
            with open(path + ".__new__", "wb") as new:
                new.write(chunk)
            os.rename(path + ".__new__", path)
            return
        finally:
            unlock(fd)


def consume(path):
    out = sys.stdout.buffer
    while True:
        if not os.path.exists(path):
            time.sleep(0.01)
            continue
        fd = locked(path + ".lock")
        try:
            try:
                with open(path, "rb") as f:
                    chunk = f.read()
            except FileNotFoundError:
                continue
            out.write(chunk)
            out.flush()
            os.unlink(path)
        finally:
            unlock(fd)
        if not chunk:
            return


def main():
    path, side, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    block_size = int(sys.argv[4]) if len(sys.argv) > 4 else 4096
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if side == "producer":
        produce(path, mode == "lossless", block_size)
    else:
        consume(path)


if __name__ == "__main__":
    main()
