package dev.tailbus.core.log;

import dev.tailbus.core.TailbusException.Kind;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Topic regular expressions with the reference's semantics, in one place: Python's
 * {@code re.match} anchors a pattern at the start of the topic only (Java's
 * {@link java.util.regex.Matcher#lookingAt()}), and Python spells named groups
 * {@code (?P<name>...)} and back-references {@code (?P=name)}, which Java spells
 * {@code (?<name>...)} and {@code \k<name>}.
 *
 * <p>Stateless and thread-safe.
 */
public final class TopicPatterns {
    private TopicPatterns() {
    }

    /**
     * Compiles a Python-syntax topic regex into a Java pattern; match it with
     * {@link #matches(Pattern, String)} (or {@code lookingAt()}).
     *
     * @throws LogException {@link Kind#BAD_INPUT} when the regex is invalid
     */
    public static Pattern compile(String pythonRegex) {
        if (pythonRegex == null) {
            throw new LogException(Kind.BAD_INPUT, "missing topic regex");
        }
        try {
            return Pattern.compile(translate(pythonRegex));
        } catch (PatternSyntaxException e) {
            throw new LogException(Kind.BAD_INPUT, "invalid topic regex " + LogException.quote(pythonRegex) + ": "
                    + e.getDescription() + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
        }
    }

    /** Whether {@code pattern} matches at the start of {@code topic}, as Python's {@code re.match}. */
    public static boolean matches(Pattern pattern, String topic) {
        return pattern.matcher(topic).lookingAt();
    }

    /** Rewrites Python-only syntax to Java's; leaves escaped text and character classes alone. */
    static String translate(String regex) {
        StringBuilder out = new StringBuilder(regex.length());
        boolean inClass = false;
        int i = 0;
        while (i < regex.length()) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                out.append(c).append(regex.charAt(i + 1));
                i += 2;
                continue;
            }
            if (inClass) {
                if (c == ']') {
                    inClass = false;
                }
                out.append(c);
                i++;
                continue;
            }
            if (c == '[') {
                inClass = true;
                out.append(c);
                i++;
                // a ']' right after '[' or '[^' is a literal in both dialects
                if (i < regex.length() && regex.charAt(i) == '^') {
                    out.append('^');
                    i++;
                }
                if (i < regex.length() && regex.charAt(i) == ']') {
                    out.append("\\]");
                    i++;
                }
                continue;
            }
            if (regex.startsWith("(?P<", i)) {
                out.append("(?<");
                i += 4;
                continue;
            }
            if (regex.startsWith("(?P=", i)) {
                int end = regex.indexOf(')', i);
                if (end < 0) {
                    out.append(regex, i, regex.length());
                    break;
                }
                out.append("\\k<").append(regex, i + 4, end).append('>');
                i = end + 1;
                continue;
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }
}
