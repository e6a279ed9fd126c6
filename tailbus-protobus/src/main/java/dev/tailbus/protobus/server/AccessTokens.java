package dev.tailbus.protobus.server;

import dev.tailbus.core.TailbusException;
import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.TopicPatterns;
import dev.tailbus.protobus.tls.PemFiles;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The access tokens of an {@code --auth-tokens} file, read and checked once: one token per line
 * followed by its rights, blank lines and lines starting with {@code #} ignored.
 *
 * <pre>
 * # TOKEN              RIGHTS (any of, in any order; publish= and subscribe= may repeat)
 * 3f9c0e8a71d24b6a9e   publish=sensors/ subscribe=sensors/|alerts/
 * 0b77d1c2e5f64a3f8c   subscribe=.*
 * c41e9a0f3b2d48e7a5   admin publish=.* subscribe=.*
 * </pre>
 *
 * <p>A token is 16 to 512 visible ASCII characters (no spaces); a regex is a topic pattern in
 * Python syntax matched at the topic's start and cannot hold a space (write {@code \s} or
 * {@code \x20}); a repeated right adds alternatives. A token without any right, a duplicate
 * token, an unknown right or an invalid regex is an error naming the file and line (the token
 * itself is never shown).
 *
 * <p>Design note: {@link #find} compares the SHA-256 digests of the presented token and of every
 * known token with {@link MessageDigest#isEqual}, going through all of them whatever matches, so
 * the time it takes says nothing about how much of a token was right, nor about its length.
 * Immutable and thread-safe.
 */
public final class AccessTokens {
    static final int MIN_TOKEN_LENGTH = 16;
    static final int MAX_TOKEN_LENGTH = 512;

    private final Path file;
    private final byte[][] digests;
    private final AccessRights[] rights;

    private AccessTokens(Path file, byte[][] digests, AccessRights[] rights) {
        this.file = file;
        this.digests = digests;
        this.rights = rights;
    }

    /**
     * Reads {@code file}.
     *
     * @throws ProtobusException unavailable when it cannot be read; bad input, naming the line,
     *                           when a line is malformed
     */
    public static AccessTokens read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ProtobusException(Kind.BAD_INPUT, "access token file " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new ProtobusException(Kind.UNAVAILABLE, "cannot read access token file " + file + ": "
                    + PemFiles.whyUnreadable(file, e));
        }
        List<byte[]> digests = new ArrayList<>();
        List<AccessRights> rights = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int number = i + 1;
            String[] words = line.split("\\s+");
            String token = words[0];
            String problem = checkToken(token);
            if (problem != null) {
                throw bad(file, number, problem);
            }
            Integer earlier = seen.putIfAbsent(token, number);
            if (earlier != null) {
                throw bad(file, number, "the same token as line " + earlier);
            }
            rights.add(parseRights(file, number, words));
            digests.add(digest(token));
        }
        return new AccessTokens(file, digests.toArray(byte[][]::new), rights.toArray(AccessRights[]::new));
    }

    private static String checkToken(String token) {
        if (token.length() < MIN_TOKEN_LENGTH) {
            return "the token is shorter than " + MIN_TOKEN_LENGTH + " characters";
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            return "the token is longer than " + MAX_TOKEN_LENGTH + " characters";
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return "the token holds a character other than visible ASCII (at " + (i + 1) + ")";
            }
        }
        return null;
    }

    private static AccessRights parseRights(Path file, int number, String[] words) {
        List<String> publish = new ArrayList<>();
        List<String> subscribe = new ArrayList<>();
        boolean admin = false;
        for (int w = 1; w < words.length; w++) {
            String word = words[w];
            if (word.equals("admin")) {
                admin = true;
            } else if (word.startsWith("publish=")) {
                publish.add(word.substring("publish=".length()));
            } else if (word.startsWith("subscribe=")) {
                subscribe.add(word.substring("subscribe=".length()));
            } else {
                throw bad(file, number, "unknown right '" + word + "' (expected publish=REGEX, subscribe=REGEX or admin)");
            }
        }
        if (publish.isEmpty() && subscribe.isEmpty() && !admin) {
            throw bad(file, number, "the token has no rights (give publish=REGEX, subscribe=REGEX or admin)");
        }
        return AccessRights.of(compile(file, number, publish), compile(file, number, subscribe), admin);
    }

    private static Pattern compile(Path file, int number, List<String> regexes) {
        if (regexes.isEmpty()) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        for (String regex : regexes) {
            if (regex.isEmpty()) {
                throw bad(file, number, "an empty regex (write .* for every topic)");
            }
            try {
                TopicPatterns.compile(regex);
            } catch (TailbusException e) {
                throw bad(file, number, e.getMessage());
            }
            parts.add("(?:" + regex + ")");
        }
        return TopicPatterns.compile(String.join("|", parts));
    }

    private static ProtobusException bad(Path file, int line, String problem) {
        return new ProtobusException(Kind.BAD_INPUT, "access token file " + file + " line " + line + ": " + problem);
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The rights of {@code token}, or null when it is not one of the file's. */
    public AccessRights find(String token) {
        byte[] presented = digest(token);
        AccessRights found = null;
        for (int i = 0; i < digests.length; i++) {
            if (MessageDigest.isEqual(presented, digests[i])) {
                found = rights[i];
            }
        }
        return found;
    }

    /** The number of tokens. */
    public int size() {
        return digests.length;
    }

    /** The file the tokens were read from. */
    public Path file() {
        return file;
    }
}
