"""Clients of tailsrv that come and go: each connects, asks for the file from its start, reads
EXPECTED bytes and closes, in the most ordinary way (a FIN, nothing left unread).

Usage: departing_clients.py PORT COUNT EXPECTED

TCP_LINGER2 < 0 makes this side forget a connection as soon as it has closed, instead of keeping
it in FIN-WAIT-2 for net.ipv4.tcp_fin_timeout (60 s): it stands for a peer whose system has
already let the connection go, which then answers the server's next packet with a reset.
"""
import socket
import sys

port, count, expected = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_LINGER2, -1)
    client.sendall(b"0\n")
    received = b""
    while len(received) < expected:
        piece = client.recv(expected - len(received))
        if not piece:
            sys.exit("client %d: the server closed after %d of %d bytes" % (i, len(received), expected))
        received += piece
    client.close()
