package dev.tailbus.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** A request's query parameters ({@code a=1&a=2&b=x}), decoded, each name with its values in order. */
final class Query {
    private final Map<String, List<String>> values = new LinkedHashMap<>();

    private Query() {
    }

    static Query parse(String rawQuery) {
        Query q = new Query();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return q;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            q.values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return q;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw HttpProblem.badRequest("malformed query parameter '" + s + "': " + e.getMessage());
        }
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    /** The one value of {@code name}, or null; given twice is an error. */
    String one(String name) {
        List<String> v = all(name);
        if (v.size() > 1) {
            throw HttpProblem.badRequest("query parameter '" + name + "' given " + v.size() + " times");
        }
        return v.isEmpty() ? null : v.getFirst();
    }

    /** Refuses a parameter not in {@code known}, naming it. */
    void only(Set<String> known) {
        for (String name : values.keySet()) {
            if (!known.contains(name)) {
                throw HttpProblem.badRequest("unknown query parameter '" + name + "' (known: "
                        + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        }
    }

    /** The {@code tag=KEY=VALUE} parameters as a map. */
    Map<String, String> tags() {
        Map<String, String> tags = new TreeMap<>();
        for (String spec : all("tag")) {
            int eq = spec.indexOf('=');
            if (eq <= 0) {
                throw HttpProblem.badRequest("tag must be KEY=VALUE, got '" + spec + "'");
            }
            tags.put(spec.substring(0, eq), spec.substring(eq + 1));
        }
        return tags;
    }

    /** A non-negative whole number, or -1 when absent. */
    long number(String name) {
        String v = one(name);
        if (v == null) {
            return -1;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw HttpProblem.badRequest(name + " must be a whole number of at least 0, got '" + v + "'");
        }
    }
}
