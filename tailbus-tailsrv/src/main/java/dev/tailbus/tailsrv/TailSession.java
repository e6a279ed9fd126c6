package dev.tailbus.tailsrv;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.OptionalLong;

/**
 * One client: its socket, what it asked for and how far it has been sent.
 *
 * <pre>
 *   HEADER ──newline──▶ NO_FILE ──file appears──▶ STREAMING ◀──file grows── CAUGHT_UP
 *     │                                              │                          ▲
 *     └─ bad, too long, late, hung up: closed        └──── sent up to the end ──┘
 * </pre>
 *
 * <p>Design note: the bytes go from the file's page cache to the socket by
 * {@link FileChannel#transferTo} (sendfile(2)), at most a budget per turn so that one fast
 * client cannot starve the others; a full socket simply leaves the session waiting for
 * {@link SelectionKey#OP_WRITE}, so a slow client only slows itself.
 *
 * <p>Threading: used by the conductor thread only.
 */
final class TailSession {
    /** Where a client is in its life. */
    enum State {
        /** Reading the header line. */
        HEADER,
        /** The header is read but the file does not exist yet. */
        NO_FILE,
        /** There are bytes to send; waits for the socket when it is full. */
        STREAMING,
        /** Sent everything there is (or asked for bytes beyond the end); waits for the file. */
        CAUGHT_UP
    }

    /** What reading the header gave. */
    enum HeaderOutcome { INCOMPLETE, COMPLETE, NOT_AN_OFFSET, TOO_LONG, HUNG_UP }

    final long id;
    final SocketChannel socket;
    final WatchedFile file;
    final long headerDeadlineNanos;
    SelectionKey key;
    private State state = State.HEADER;
    private byte[] header;
    private int headerLength;
    private long requested;
    private long position;
    private long sent;
    private boolean inputClosed;
    private int localPort = -1;
    private int remotePort = -1;

    TailSession(long id, SocketChannel socket, WatchedFile file, long headerDeadlineNanos, int headerLimit) {
        this.id = id;
        this.socket = socket;
        this.file = file;
        this.headerDeadlineNanos = headerDeadlineNanos;
        this.header = new byte[headerLimit];
    }

    State state() {
        return state;
    }

    long position() {
        return position;
    }

    long sent() {
        return sent;
    }

    long requested() {
        return requested;
    }

    /**
     * Reads what has arrived of the header. The line ends at the first newline; anything the
     * client sent after it is read here and ignored, as everything it sends later.
     */
    HeaderOutcome readHeader() throws IOException {
        ByteBuffer into = ByteBuffer.wrap(header, headerLength, header.length - headerLength);
        int n = socket.read(into);
        if (n < 0) {
            return HeaderOutcome.HUNG_UP;
        }
        for (int i = headerLength; i < headerLength + n; i++) {
            if (header[i] == '\n') {
                OptionalLong offset = OffsetHeader.parse(header, i);
                header = null;
                if (offset.isEmpty()) {
                    return HeaderOutcome.NOT_AN_OFFSET;
                }
                requested = offset.getAsLong();
                state = State.NO_FILE;
                return HeaderOutcome.COMPLETE;
            }
        }
        headerLength += n;
        return headerLength == header.length ? HeaderOutcome.TOO_LONG : HeaderOutcome.INCOMPLETE;
    }

    /** Sets where streaming starts, once the file exists and its size is known. */
    void startAt(long size) {
        position = OffsetHeader.start(requested, size);
        state = State.STREAMING;
    }

    /**
     * Reads and drops whatever the client sends after its header. Returns false once the client
     * has shut its side: it may still be reading (as {@code echo 0 | nc host port} does), so the
     * session stays, but its input is not watched any more.
     */
    boolean discardInput(ByteBuffer scratch) throws IOException {
        // A few reads per turn at most: a client that floods us must not hold the thread.
        for (int reads = 0; reads < 4; reads++) {
            scratch.clear();
            int n = socket.read(scratch);
            if (n < 0) {
                inputClosed = true;
                return false;
            }
            if (n == 0) {
                return true;
            }
        }
        return true;
    }

    /**
     * Sends the file from the current position up to {@code size}, at most {@code budget} bytes,
     * and sets the state and the socket's interest for what comes next. Returns the bytes sent.
     * Throws if the client is gone.
     */
    long transfer(FileChannel from, long size, long budget) throws IOException {
        long turn = 0;
        while (position < size && turn < budget) {
            long n = from.transferTo(position, Math.min(size - position, budget - turn), socket);
            if (n <= 0) {
                break;
            }
            position += n;
            turn += n;
        }
        sent += turn;
        int read = inputClosed ? 0 : SelectionKey.OP_READ;
        if (position >= size) {
            state = State.CAUGHT_UP;
            key.interestOps(read);
        } else {
            state = State.STREAMING;
            key.interestOps(read | SelectionKey.OP_WRITE);
        }
        return turn;
    }

    /** Stops reading the client's input after it shut its side, and notes its connection's ports. */
    void ignoreInput() {
        key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
        try {
            localPort = ((InetSocketAddress) socket.getLocalAddress()).getPort();
            remotePort = ((InetSocketAddress) socket.getRemoteAddress()).getPort();
        } catch (IOException | RuntimeException e) {
            // Closed meanwhile: the ports stay unknown, and the session is released with its socket.
        }
    }

    /** The server's port of the connection, once the client shut its side (-1 before). */
    int localPort() {
        return localPort;
    }

    /** The client's port of the connection, once the client shut its side (-1 before). */
    int remotePort() {
        return remotePort;
    }
}
