package dev.tailbus.kafka;

import dev.tailbus.core.TailbusException.Kind;
import java.nio.charset.StandardCharsets;

/**
 * The naming rule, in one place: a store pattern's file prefix (with {@code {topic}} replaced by
 * the event's topic) becomes the Kafka topic {@code PREFIX + escape(file prefix)}.
 *
 * <pre>
 *   escape: A-Z a-z 0-9 '-'  stay as they are
 *           every other character: each byte of its UTF-8 form as '_' and two upper-case hex digits
 *   "orders/{topic}" with topic "eu.paris" and prefix "tailbus-"  ->  "tailbus-orders_2Feu_2Eparis"
 * </pre>
 *
 * <p>The rule is injective: '_' always starts an escape (so it is escaped itself, as {@code _5F}),
 * and the escapes of different bytes differ, so one name decodes to one file prefix. Kafka's
 * other characters, '.' and '_', are thus never left bare, so two names never collide in Kafka's
 * metric names either. {@link #codesTopic()} ({@code PREFIX + "__codes"}) is the one name after the
 * prefix with two '_' in a row, which no escape produces. Kafka allows 249 characters: a longer
 * name is refused as bad input.
 *
 * <p>Immutable and thread-safe.
 */
public final class KafkaTopicNames {
    /** The longest Kafka topic name. */
    static final int MAX_NAME = 249;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final String prefix;

    /** Names under {@code prefix} (checked with {@link #checkPrefix}). */
    public KafkaTopicNames(String prefix) {
        checkPrefix(prefix);
        this.prefix = prefix;
    }

    /** A prefix is made of Kafka's characters, A-Z a-z 0-9 '.', '_', '-', and is at most 100 long. */
    static void checkPrefix(String prefix) {
        if (prefix == null || !prefix.matches("[A-Za-z0-9._-]{0,100}")) {
            throw new KafkaLogException(Kind.BAD_INPUT, "--kafka-topic-prefix must be at most 100 of A-Z a-z 0-9 . _ -, "
                    + "got '" + prefix + "'");
        }
    }

    /** The prefix of every name. */
    public String prefix() {
        return prefix;
    }

    /** The Kafka topic of a file prefix (whose {@code {topic}} was replaced already). */
    public String of(String filePrefix) {
        String name = prefix + escape(filePrefix);
        if (name.length() > MAX_NAME) {
            throw new KafkaLogException(Kind.BAD_INPUT, "the Kafka topic for '" + filePrefix + "' would have "
                    + name.length() + " characters, over Kafka's " + MAX_NAME, name, null);
        }
        return name;
    }

    /** The file prefix a name stands for, or null when it is not a data topic of this prefix. */
    public String filePrefixOf(String kafkaTopic) {
        if (!kafkaTopic.startsWith(prefix) || kafkaTopic.equals(codesTopic())) {
            return null;
        }
        return unescape(kafkaTopic.substring(prefix.length()));
    }

    /** The topic holding the registry of position codes (see {@link PositionCodes}). */
    public String codesTopic() {
        return prefix + "__codes";
    }

    /** The escaped form of {@code text}. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
                out.append(c);
                continue;
            }
            int end = Character.isHighSurrogate(c) && i + 1 < text.length() ? i + 2 : i + 1;
            for (byte b : text.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
                out.append('_').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
            }
            i = end - 1;
        }
        return out.toString();
    }

    /** The text that {@code escaped} is the escape of, or null when it is no escape's output. */
    static String unescape(String escaped) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(escaped.length());
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c == '_') {
                if (i + 2 >= escaped.length()) {
                    return null;
                }
                int hi = Character.digit(escaped.charAt(i + 1), 16);
                int lo = Character.digit(escaped.charAt(i + 2), 16);
                if (hi < 0 || lo < 0 || Character.isLowerCase(escaped.charAt(i + 1))
                        || Character.isLowerCase(escaped.charAt(i + 2))) {
                    return null;
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
                bytes.write(c);
            } else {
                return null;
            }
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        return escape(text).equals(escaped) ? text : null; // only canonical escapes decode
    }
}
