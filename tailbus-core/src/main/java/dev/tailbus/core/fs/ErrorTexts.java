package dev.tailbus.core.fs;

import java.io.IOException;

/**
 * The texts of some error numbers as a failed call's {@link IOException} words them: the JDK
 * reports a failure by the C library's text for its error number and keeps the number to itself.
 * So the texts are compared, as this process's C library words them ({@code strerror}, in the
 * locale the JDK also uses), with the English ones as a fallback.
 *
 * <p>Immutable and thread-safe.
 */
final class ErrorTexts {
    private final String[] texts;

    /** The texts of {@code numbers}, whose English wording is {@code english}, index for index. */
    ErrorTexts(int[] numbers, String[] english) {
        texts = new String[english.length * 2];
        for (int i = 0; i < numbers.length; i++) {
            texts[i] = english[i];
            String local = english[i];
            try {
                String text = Libc.strerror(numbers[i]);
                if (!text.startsWith("errno ")) {
                    local = text;
                }
            } catch (LinkageError | RuntimeException e) {
                // no native access: the English texts alone
            }
            texts[english.length + i] = local;
        }
    }

    /** Whether {@code e}, or a cause of it, is an {@link IOException} that ends with one of the texts. */
    boolean tell(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (t instanceof IOException && message != null) {
                for (String text : texts) {
                    if (message.endsWith(text)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
