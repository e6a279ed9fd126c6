package dev.tailbus.http;

/**
 * A request the face refuses, with the HTTP status to answer and a message naming the problem;
 * {@link HttpAnswers#error} turns it into the JSON error body.
 */
final class HttpProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    HttpProblem(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }

    static HttpProblem badRequest(String message) {
        return new HttpProblem(400, message);
    }
}
