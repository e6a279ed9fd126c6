package dev.tailbus.protobus.server;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Passes gRPC messages as their serialized bytes. The server stamps, stores and forwards events
 * without building protobuf objects: what a publisher sent is rewritten at the byte level once,
 * and what the log holds goes to every subscriber as it is.
 */
final class RawMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    static final RawMarshaller INSTANCE = new RawMarshaller();

    private RawMarshaller() {
    }

    @Override
    public InputStream stream(byte[] value) {
        return new BytesStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
        try (stream) {
            if (stream instanceof KnownLength) {
                // gRPC's message streams know their length: one array, one copy (readAllBytes copies twice)
                byte[] out = new byte[stream.available()];
                if (stream.readNBytes(out, 0, out.length) == out.length && stream.read() < 0) {
                    return out;
                }
                throw new IOException("a message stream gave other than the length it announced");
            }
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A stream over one array that tells gRPC its length and drains in one write. */
    private static final class BytesStream extends InputStream implements KnownLength, Drainable {
        private final byte[] bytes;
        private int position;

        BytesStream(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read() {
            return position < bytes.length ? bytes[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = Math.min(len, bytes.length - position);
            System.arraycopy(bytes, position, b, off, n);
            position += n;
            return n;
        }

        @Override
        public int available() {
            return bytes.length - position;
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = bytes.length - position;
            target.write(bytes, position, n);
            position = bytes.length;
            return n;
        }
    }
}
