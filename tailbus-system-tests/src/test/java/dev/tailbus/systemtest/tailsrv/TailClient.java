package dev.tailbus.systemtest.tailsrv;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A plain TCP client of tailsrv, as any program would write it: a socket and a header line. */
final class TailClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;

    private TailClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    static TailClient connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        return new TailClient(socket);
    }

    /** Connects and sends {@code offset} and a newline. */
    static TailClient connect(int port, long offset) throws IOException {
        TailClient client = connect(port);
        client.send(offset + "\n");
        return client;
    }

    TailClient send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return this;
    }

    /** This client's port of the connection. */
    int localPort() {
        return socket.getLocalPort();
    }

    /** Shuts the sending side, as {@code echo 0 | nc host port} does at the end of its input. */
    TailClient shutdownOutput() throws IOException {
        socket.shutdownOutput();
        return this;
    }

    /** Reads exactly {@code n} bytes, failing if they do not all come within {@code timeout}. */
    byte[] read(int n, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] bytes = new byte[n];
        int have = 0;
        while (have < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("received " + have + " of " + n + " bytes within " + timeout);
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            int r = in.read(bytes, have, n - have);
            if (r < 0) {
                throw new IOException("server closed the connection after " + have + " of " + n + " bytes");
            }
            have += r;
        }
        return bytes;
    }

    String readText(int n, Duration timeout) throws IOException {
        return new String(read(n, timeout), StandardCharsets.UTF_8);
    }

    /**
     * Reads until the server closes the connection or {@code timeout} passes; returns what came
     * before the end, or throws if the connection was still open at the deadline.
     */
    byte[] readToEnd(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("connection still open after " + timeout);
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            int r;
            try {
                r = in.read(buffer);
            } catch (java.net.SocketException reset) {
                return bytes.toByteArray();
            }
            if (r < 0) {
                return bytes.toByteArray();
            }
            bytes.write(buffer, 0, r);
        }
    }

    /** Whether nothing arrives for {@code quiet}: true if silent and still open. */
    boolean staysSilent(Duration quiet) throws IOException {
        socket.setSoTimeout((int) quiet.toMillis());
        try {
            in.read();
            return false;
        } catch (SocketTimeoutException expected) {
            return true;
        }
    }

    /** Closes with a reset instead of a FIN, as a crashed client's kernel would. */
    void abort() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
