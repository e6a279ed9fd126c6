package dev.tailbus.protobus.server;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Runs a session's work on the shared executor, one run at a time, as often as it is woken:
 * a wake during a run causes another run, and many wakes before a run cause one. A run that
 * returns false has more to do and yields the thread to other sessions before going on.
 *
 * <p>This is how a bounded pool serves any number of sessions without a thread per channel.
 */
final class Drainer {
    private final Executor executor;
    private final BooleanSupplier work;
    private final AtomicInteger wip = new AtomicInteger();

    /** {@code work} returns true when done for now, false when it stopped early with more to do. */
    Drainer(Executor executor, BooleanSupplier work) {
        this.executor = executor;
        this.work = work;
    }

    /** Asks for a run; cheap when one is already due. */
    void wake() {
        if (wip.getAndIncrement() == 0) {
            submit();
        }
    }

    /**
     * As {@link #wake()}, but when no run is due, runs here on the calling thread (which must be
     * one that may do the work): saves a thread hop when idle, batches through the executor when busy.
     */
    void wakeHere() {
        if (wip.getAndIncrement() == 0) {
            run();
        }
    }

    private void submit() {
        try {
            executor.execute(this::run);
        } catch (RejectedExecutionException e) {
            wip.set(0); // the server is gone: nothing will run again
        }
    }

    private void run() {
        int missed = wip.get();
        while (true) {
            if (!work.getAsBoolean()) {
                submit(); // more to do: yield, the wake count stays due
                return;
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }
}
