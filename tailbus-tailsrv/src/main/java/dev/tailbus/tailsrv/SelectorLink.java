package dev.tailbus.tailsrv;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Lets the conductor's {@link Selector} wake for inotify events by adding the inotify
 * descriptor to the selector's own epoll set, so that an append reaches a client through one
 * thread (the conductor) instead of two (a watcher thread, then the conductor).
 *
 * <p>Design note: the JDK offers no way to select on a descriptor that is not a channel, nor
 * to learn a selector's epoll descriptor. The inotify descriptor is core's {@code Inotify}'s own
 * ({@code descriptor()}); the selector's is found as the epoll descriptor that appeared in
 * {@code /proc/self/fd} while it was opened, checked to be an epoll set holding exactly one
 * eventfd (its wake-up). The JDK's epoll selector skips ready
 * descriptors it does not know, so an inotify event only makes {@code select} return; the
 * conductor then reads the events itself. When any of this cannot be established (another
 * selector provider, another system), {@link FileWatcher} falls back to its own thread.
 *
 * <p>Threading: {@link #openSelector} and {@link #add} are called once each, at start.
 */
final class SelectorLink {
    private static final String EPOLL = "anon_inode:[eventpoll]";
    private static final String EVENTFD = "anon_inode:[eventfd]";
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLLIN = 0x1;
    /** struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16). */
    private static final boolean PACKED = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT).matches("amd64|x86_64");
    private static final MethodHandle EPOLL_CTL = bind();

    private SelectorLink() {
    }

    private static MethodHandle bind() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("epoll_ctl").map(address -> linker.downcallHandle(address,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access: the watcher thread does the waiting
        }
    }

    /** The selector opened, and its epoll descriptor if it could be told for certain. */
    record Opened<T>(T value, OptionalInt descriptor) {
    }

    /** Opens a selector and finds its epoll descriptor, checked as described above. */
    static Opened<Selector> openSelector() throws IOException {
        Set<Integer> epolls = descriptors(EPOLL);
        Set<Integer> eventfds = descriptors(EVENTFD);
        Selector selector = Selector.open();
        OptionalInt epoll = single(fresh(EPOLL, epolls));
        Set<Integer> newEventfds = fresh(EVENTFD, eventfds);
        if (epoll.isPresent() && !holdsOnly(epoll.getAsInt(), newEventfds)) {
            epoll = OptionalInt.empty();
        }
        return new Opened<>(selector, epoll);
    }

    /** Adds {@code fd} to the epoll set {@code epoll} for input; false if that failed. */
    static boolean add(int epoll, int fd) {
        if (EPOLL_CTL == null) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment event = arena.allocate(PACKED ? 12 : 16, 8);
            event.set(ValueLayout.JAVA_INT, 0, EPOLLIN);
            // epoll_data holds the descriptor itself, as the JDK's own registrations do.
            event.set(ValueLayout.JAVA_INT_UNALIGNED, PACKED ? 4 : 8, fd);
            return (int) EPOLL_CTL.invokeExact(epoll, EPOLL_CTL_ADD, fd, event) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    private static Set<Integer> fresh(String kind, Set<Integer> before) {
        Set<Integer> now = descriptors(kind);
        now.removeAll(before);
        return now;
    }

    private static OptionalInt single(Set<Integer> fds) {
        return fds.size() == 1 ? OptionalInt.of(fds.iterator().next()) : OptionalInt.empty();
    }

    /** Whether the epoll set {@code epoll} watches exactly one descriptor, one of {@code expected}. */
    private static boolean holdsOnly(int epoll, Set<Integer> expected) {
        try {
            List<String> watched = Files.readAllLines(Path.of("/proc/self/fdinfo/" + epoll)).stream()
                    .filter(line -> line.startsWith("tfd:")).toList();
            if (watched.size() != 1) {
                return false;
            }
            int tfd = Integer.parseInt(watched.getFirst().substring(4).trim().split("\\s+")[0]);
            return expected.contains(tfd);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The open descriptors of this process whose /proc link reads {@code kind}. */
    static Set<Integer> descriptors(String kind) {
        Set<Integer> found = new HashSet<>();
        Path fds = Path.of("/proc/self/fd");
        try (Stream<Path> list = Files.list(fds)) {
            for (Path fd : (Iterable<Path>) list::iterator) {
                try {
                    if (kind.equals(Files.readSymbolicLink(fd).toString())) {
                        found.add(Integer.parseInt(fd.getFileName().toString()));
                    }
                } catch (IOException | NumberFormatException e) {
                    // Closed while listing, or the listing's own descriptor: not ours.
                }
            }
        } catch (IOException e) {
            return found;
        }
        return found;
    }
}
