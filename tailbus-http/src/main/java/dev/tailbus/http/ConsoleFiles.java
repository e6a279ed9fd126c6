package dev.tailbus.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The web console's files, served from the jar's resources ({@code dev/tailbus/http/console/}):
 * plain HTML, CSS and JavaScript, nothing from elsewhere. Read once at start.
 */
final class ConsoleFiles {
    private record File(String type, byte[] bytes) {
    }

    private static final Map<String, String> FILES = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/console.css", "console.css",
            "/console.js", "console.js",
            "/favicon.svg", "favicon.svg");

    private final Map<String, File> files;

    ConsoleFiles() {
        java.util.HashMap<String, File> loaded = new java.util.HashMap<>();
        for (Map.Entry<String, String> f : FILES.entrySet()) {
            loaded.put(f.getKey(), new File(type(f.getValue()), read(f.getValue())));
        }
        files = Map.copyOf(loaded);
    }

    /** Whether {@code path} names a console file. */
    boolean has(String path) {
        return files.containsKey(path);
    }

    void serve(HttpExchange exchange, String path) throws IOException {
        File f = files.get(path);
        exchange.getResponseHeaders().set("Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'");
        HttpAnswers.send(exchange, 200, f.type(), f.bytes());
    }

    private static String type(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        return "image/svg+xml";
    }

    private static byte[] read(String name) {
        try (InputStream in = ConsoleFiles.class.getResourceAsStream("console/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the console file " + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the console file " + name, e);
        }
    }
}
