package dev.tailbus.tailsrv;

import java.util.EnumMap;
import java.util.Map;

/**
 * The counters of one served file since the start: clients accepted, bytes sent, headers
 * refused by reason. Cheap enough to count every turn (plain fields, no atomics).
 *
 * <p>Threading: used only on the conductor's thread, which also turns it into {@link FileStats}.
 */
final class FileMeter {
    private long accepted;
    private long sent;
    private final long[] refused = new long[HeaderRefusal.values().length];

    void accepted() {
        accepted++;
    }

    void sent(long bytes) {
        sent += bytes;
    }

    void refused(HeaderRefusal why) {
        refused[why.ordinal()]++;
    }

    /** The counters with the figures of the file's sessions at this moment. */
    FileStats stats(WatchedFile file) {
        int behind = 0;
        long bytesBehind = 0;
        long most = 0;
        long end = file.isOpen() ? file.size() : 0;
        for (TailSession s : file.sessions) {
            if (s.state() == TailSession.State.STREAMING || s.state() == TailSession.State.CAUGHT_UP) {
                long left = end - s.position();
                if (left > 0) {
                    behind++;
                    bytesBehind += left;
                    most = Math.max(most, left);
                }
            }
        }
        Map<HeaderRefusal, Long> byReason = new EnumMap<>(HeaderRefusal.class);
        for (HeaderRefusal why : HeaderRefusal.values()) {
            byReason.put(why, refused[why.ordinal()]);
        }
        return new FileStats(file.served(), file.sessions.size(), accepted, sent, behind, bytesBehind, most, byReason);
    }
}
