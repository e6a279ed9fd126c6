package dev.tailbus.core.fs;

import java.io.Closeable;
import java.io.IOException;

/**
 * Closing several resources as one: each is closed even when an earlier one fails; the first
 * failure is thrown with the later ones attached as suppressed. Nulls are skipped.
 */
public final class Closeables {
    private Closeables() {
    }

    /** Closes {@code resources} in the order given. */
    public static void closeAll(Closeable... resources) throws IOException {
        IOException failure = null;
        for (Closeable resource : resources) {
            if (resource == null) {
                continue;
            }
            try {
                resource.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
