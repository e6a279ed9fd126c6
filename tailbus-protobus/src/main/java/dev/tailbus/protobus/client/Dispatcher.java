package dev.tailbus.protobus.client;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The thread of a callback subscription ({@link BusSubscriber.Builder#start}): takes each event
 * and hands it to the handler, one at a time, in order, and completes {@code done} at the end
 * (normally after a clean end or an interrupt from closing, exceptionally with the failure).
 */
final class Dispatcher {
    /** Where the events come from: {@link BusSubscriber#take()}. */
    interface Source {
        BusEvent take() throws InterruptedException;
    }

    private final Thread thread;

    Dispatcher(Source source, Consumer<BusEvent> handler, CompletableFuture<Void> done) {
        this.thread = new Thread(() -> {
            try {
                BusEvent e;
                while ((e = source.take()) != null) {
                    handler.accept(e);
                }
                done.complete(null);
            } catch (InterruptedException e) {
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        }, "tailbus-subscriber");
        thread.setDaemon(true);
        thread.start();
    }

    /** Interrupts the thread and waits up to 5 s for it, unless called from it (a handler closing). */
    void stop() {
        if (thread == Thread.currentThread()) {
            return;
        }
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
