package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException;
import org.junit.jupiter.api.Test;

class ListenAddressTest {
    @Test
    void shouldParseTheReferenceForms() {
        assertThat(ListenAddress.parse("localhost:42000")).isEqualTo(new ListenAddress("localhost", 42000));
        assertThat(ListenAddress.parse(":42000")).isEqualTo(new ListenAddress(null, 42000));
        assertThat(ListenAddress.parse(":42000").socketAddress().getAddress().isAnyLocalAddress()).isTrue();
        assertThat(ListenAddress.parse("[::1]:7")).isEqualTo(new ListenAddress("::1", 7));
        assertThat(ListenAddress.parse("[::1]:7")).hasToString("[::1]:7");
    }

    @Test
    void shouldRefuseMalformedAddressesAsBadInput() {
        for (String bad : new String[] {"localhost", "host:port", "host:70000", "host:-1", ""}) {
            assertThatThrownBy(() -> ListenAddress.parse(bad)).as(bad)
                    .isInstanceOfSatisfying(ProtobusException.class,
                            e -> assertThat(e.kind()).isEqualTo(TailbusException.Kind.BAD_INPUT));
        }
    }
}
