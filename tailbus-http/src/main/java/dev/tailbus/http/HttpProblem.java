package dev.tailbus.http;

/**
 * A request the face refuses, with the HTTP status to answer and a message naming the problem;
 * {@link HttpAnswers#error} turns it into the JSON error body.
 */
final class HttpProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient Thread lateReader;

    HttpProblem(int status, String message) {
        this(status, message, null);
    }

    /**
     * A refusal of a request whose body is still being read by {@code lateReader}: the answer
     * stops that read once it is out, which closes the connection (see {@link HttpAnswers}).
     */
    HttpProblem(int status, String message, Thread lateReader) {
        super(message, null, false, false);
        this.status = status;
        this.lateReader = lateReader;
    }

    int status() {
        return status;
    }

    /** The thread still reading the request body, or null. */
    Thread lateReader() {
        return lateReader;
    }

    static HttpProblem badRequest(String message) {
        return new HttpProblem(400, message);
    }
}
