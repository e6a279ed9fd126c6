package dev.tailbus.tailsrv;

import java.util.Locale;

/** Why a client's header line was refused (its connection then closed without a reply). */
public enum HeaderRefusal {
    /** The line was not a signed decimal integer. */
    NOT_AN_INTEGER,
    /** No newline within the header limit. */
    TOO_LONG,
    /** The line was not complete within the header timeout. */
    TIMEOUT,
    /** The client closed its side before the newline. */
    HUNG_UP;

    /** The name as a metric label or log word: {@code not_an_integer}, {@code too_long}, ... */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
