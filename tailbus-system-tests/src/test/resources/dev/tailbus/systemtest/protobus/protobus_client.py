"""A protobus client in Python, generated from tailbus's .proto files by grpc_tools.

Usage: protobus_client.py GENERATED_DIR PORT publish COUNT TOPIC
       protobus_client.py GENERATED_DIR PORT subscribe COUNT TOPIC_REGEX

With PROTOBUS_TLS_CA set (a PEM file), the client connects with TLS, trusting that CA; with
PROTOBUS_TOKEN set, it sends "authorization: Bearer TOKEN" on every call.

publish prints the server's Status as "code<TAB>message"; subscribe reads COUNT events
(history first) and prints one line per event:
topic<TAB>seq tag<TAB>payload text<TAB>payload_size<TAB>position<TAB>server_receive_time ns
"""
import os
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from google.protobuf import wrappers_pb2  # noqa: E402

import protobus_event_pb2  # noqa: E402
import protobus_rpc_pb2  # noqa: E402
import protobus_rpc_pb2_grpc  # noqa: E402

port, mode, count, topic = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
if os.environ.get("PROTOBUS_TLS_CA"):
    with open(os.environ["PROTOBUS_TLS_CA"], "rb") as ca:
        credentials = grpc.ssl_channel_credentials(root_certificates=ca.read())
    channel = grpc.secure_channel("127.0.0.1:" + port, credentials)
else:
    channel = grpc.insecure_channel("127.0.0.1:" + port)
metadata = [("authorization", "Bearer " + os.environ["PROTOBUS_TOKEN"])] if os.environ.get("PROTOBUS_TOKEN") else None
stub = protobus_rpc_pb2_grpc.ProtobusServiceStub(channel)

if mode == "publish":
    def events():
        for i in range(count):
            event = protobus_event_pb2.EncapsulatedEvent(topic=topic)
            event.tags["seq"] = str(i)
            event.tags["lang"] = "python"
            event.client_event_time.FromNanoseconds(1700000000123456789 + i)
            event.client_transmit_time.GetCurrentTime()
            event.payload.Pack(wrappers_pb2.StringValue(value="from python %d" % i))
            yield event

    status = stub.Publish(events(), timeout=30, metadata=metadata)
    print("%d\t%s" % (status.code, status.message), flush=True)
elif mode == "subscribe":
    request = protobus_rpc_pb2.SubscriptionRequest(
        topics=[topic], options=protobus_rpc_pb2.SubscriptionOptions(history_depth=count))
    for n, event in enumerate(stub.Subscribe(request, timeout=30, metadata=metadata)):
        text = wrappers_pb2.StringValue()
        event.payload.Unpack(text)
        print("\t".join([event.topic, event.tags["seq"], text.value, str(event.payload_size),
                         str(event.position), str(event.server_receive_time.ToNanoseconds())]), flush=True)
        if n + 1 == count:
            break
else:
    sys.exit("unknown mode " + mode)
