#!/usr/bin/env python3
"""Writes store files exactly as the reference protobus-server 0.1.4 does: each record is a
4-byte little-endian length, then a serialized protobus.EncapsulatedEvent (no position field).

The encoder below is a few lines of protobuf wire format, so that the fixtures do not depend on
a protobuf installation. Run it from this folder; the outputs are committed:
  sensor.pb       3 events of topic "sensor" (the default pattern {topic}:.*)
  all.pb          5 events of topics "a" and "b/c" in one file (pattern all:.*)
  expected.txt    one line per record: file, index, topic, receive time in ns, payload hex
"""
import struct


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, wire_type, body):
    tag = varint(number << 3 | wire_type)
    if wire_type == 2:
        return tag + varint(len(body)) + body
    return tag + body


def timestamp(ns):
    seconds, nanos = divmod(ns, 1_000_000_000)
    return field(1, 0, varint(seconds)) + field(2, 0, varint(nanos))


def event(topic, tags, client_ns, receive_ns, payload):
    any_msg = field(1, 2, b"type.googleapis.com/test.Payload") + field(2, 2, payload)
    out = field(1, 2, topic.encode())
    for k, v in sorted(tags.items()):
        out += field(2, 2, field(1, 2, k.encode()) + field(2, 2, v.encode()))
    out += field(3, 2, timestamp(client_ns))
    out += field(4, 2, timestamp(client_ns + 1000))
    out += field(5, 2, timestamp(receive_ns))
    out += field(6, 0, varint(len(any_msg)))
    out += field(7, 2, any_msg)
    return out


def write(name, events, expected):
    with open(name, "wb") as f:
        for i, (topic, receive_ns, payload) in enumerate(events):
            body = event(topic, {"source": "fixture", "n": str(i)}, receive_ns - 5000, receive_ns, payload)
            f.write(struct.pack("<I", len(body)) + body)
            expected.append(f"{name} {i} {topic} {receive_ns} {payload.hex()}")


base = 1_700_000_000_123_456_789
expected = []
write("sensor.pb", [("sensor", base + i * 1_000_000, bytes([i]) * (i + 1)) for i in range(3)], expected)
write("all.pb", [("a" if i % 2 == 0 else "b/c", base + 10_000_000 + i, f"event {i}".encode()) for i in range(5)],
      expected)
with open("expected.txt", "w") as f:
    f.write("\n".join(expected) + "\n")
