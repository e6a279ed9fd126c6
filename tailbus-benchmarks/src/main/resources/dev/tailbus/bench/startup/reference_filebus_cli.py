#!/usr/bin/env python3
"""A stand-in for the reference filebus's start, for the start-up benchmark: the command line of
the reference (Python, 0.3.5) declared with argparse, and the standard modules its program
imports, so that `--help` costs what the reference's costs: the interpreter's start, those
imports, and argparse building and printing the help. It does nothing else.
"""
import argparse
import fcntl
import logging
import os
import sys
import time


def main():
    parser = argparse.ArgumentParser(
        prog="filebus",
        description="A user space multicast named pipe implementation backed by a regular file")
    parser.add_argument("--back-pressure", action="store_true",
                        help="enable lossless back pressure protocol (unconsumed chunks cause producers to block)")
    parser.add_argument("--block-size", type=int, default=4096, help="maximum block size in units of bytes")
    parser.add_argument("--impl", "--implementation", choices=("bash", "python"), default="python",
                        help="choose an alternative implementation")
    parser.add_argument("--lossless", action="store_true", help="an alias for --back-pressure")
    parser.add_argument("--no-file-monitoring", action="store_true",
                        help="disable filesystem event monitoring")
    parser.add_argument("--filename", help="path of the data file (the producer updates it via atomic rename)")
    parser.add_argument("--sleep-interval", type=float, default=0.1,
                        help="check for new messages at least once every N seconds")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="verbose logging (each occurence increases verbosity)")
    actions = parser.add_subparsers(dest="action")
    producer = actions.add_parser("producer", help="connect producer side of stream")
    producer.add_argument("--blocking-read", action="store_true", help="use blocking read")
    actions.add_parser("consumer", help="connect consumer side of stream")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING - 10 * args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
