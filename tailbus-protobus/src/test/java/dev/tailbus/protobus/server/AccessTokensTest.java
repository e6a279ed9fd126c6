package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The access token file: its lines, the rights they grant, and the errors a bad file gets. */
class AccessTokensTest {
    @TempDir
    Path dir;

    private Path file(String text) throws Exception {
        return Files.writeString(dir.resolve("tokens"), text);
    }

    @Test
    void shouldGrantEachTokenItsRightsMatchedAtTheTopicsStartIgnoringCommentsAndBlankLines() throws Exception {
        AccessTokens tokens = AccessTokens.read(file("""
                # who may do what

                  publisher-0123456789   publish=sensors/ publish=alerts/(?P<id>\\d+)$
                reader-0123456789abcdef\tsubscribe=sensors/t[12]
                admin-0123456789abcdef admin
                """));
        assertThat(tokens.size()).isEqualTo(3);

        AccessRights publisher = tokens.find("publisher-0123456789");
        assertThat(publisher.mayPublish("sensors/t1")).isTrue();
        assertThat(publisher.mayPublish("alerts/42")).isTrue();
        assertThat(publisher.mayPublish("alerts/42x")).isFalse();
        assertThat(publisher.mayPublish("x/sensors/t1")).as("matched at the start, not anywhere").isFalse();
        assertThat(publisher.maySubscribeAny()).isFalse();
        assertThat(publisher.admin()).isFalse();

        AccessRights reader = tokens.find("reader-0123456789abcdef");
        assertThat(reader.mayPublishAny()).isFalse();
        assertThat(reader.maySubscribe("sensors/t2")).isTrue();
        assertThat(reader.maySubscribe("sensors/t3")).isFalse();
        assertThat(reader.maySee("sensors/t3")).isFalse();

        AccessRights admin = tokens.find("admin-0123456789abcdef");
        assertThat(admin.admin()).isTrue();
        assertThat(admin.maySee("anything")).isTrue();
        assertThat(admin.mayPublish("anything")).as("admin is a right of its own").isFalse();
    }

    @Test
    void shouldKnowNoTokenButTheExactOnes() throws Exception {
        AccessTokens tokens = AccessTokens.read(file("exact-token-0123456789 publish=.*\n"));
        assertThat(tokens.find("exact-token-0123456789")).isNotNull();
        assertThat(tokens.find("exact-token-012345678")).isNull();
        assertThat(tokens.find("exact-token-01234567890")).isNull();
        assertThat(tokens.find("EXACT-TOKEN-0123456789")).isNull();
        assertThat(tokens.find("")).isNull();
    }

    @Test
    void shouldNameTheFileAndLineOfEveryMalformedLineWithoutShowingTheToken() throws Exception {
        assertBad("# fine\nshort publish=.*\n", "line 2: the token is shorter than 16 characters");
        assertBad("long-enough-token-01 publish=.* delete=.*\n", "line 1: unknown right 'delete=.*'");
        assertBad("long-enough-token-01 publish=(\n", "line 1: invalid topic regex '('");
        assertBad("long-enough-token-01 subscribe=\n", "line 1: an empty regex");
        assertBad("long-enough-token-01\n", "line 1: the token has no rights");
        assertBad("long-enough-token-01 admin\n\nlong-enough-token-01 publish=a\n", "line 3: the same token as line 1");
        assertBad("l\u00f6ng-enough-token-01 admin\n", "line 1: the token holds a character other than visible ASCII");
    }

    private void assertBad(String text, String message) throws Exception {
        Path f = file(text);
        assertThatThrownBy(() -> AccessTokens.read(f))
                .isInstanceOfSatisfying(ProtobusException.class, e -> assertThat(e.kind()).isEqualTo(Kind.BAD_INPUT))
                .hasMessageStartingWith("access token file " + f + " " + message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("enough-token"));
    }

    @Test
    void shouldSayWhenTheFileCannotBeRead() {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> AccessTokens.read(missing))
                .isInstanceOfSatisfying(ProtobusException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE))
                .hasMessage("cannot read access token file " + missing + ": no such file");
        assertThatThrownBy(() -> AccessTokens.read(dir))
                .hasMessage("cannot read access token file " + dir + ": it is a folder");
    }
}
