package dev.tailbus.protobus.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.protobus.proto.SubscriptionOptions;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ResumePointTest {
    @Test
    void shouldResumeRightAfterTheLastEventReceivedWhateverTheStart() {
        for (ResumePoint r : new ResumePoint[] {new ResumePoint(5, 0, null, 40), new ResumePoint(0, 7, null, 40),
                new ResumePoint(0, 0, Instant.EPOCH, 40), new ResumePoint(0, 0, null, -1)}) {
            r.received(41);
            r.received(0); // a server without positions says nothing about where to resume
            assertThat(r.options()).isEqualTo(SubscriptionOptions.newBuilder().setAfterPosition(41).build());
            assertThat(r.lastPosition()).isEqualTo(41);
        }
    }

    @Test
    void shouldAskForTheChosenStartAgainUntilAnEventArrived() {
        assertThat(new ResumePoint(5, 0, null, 40).options().getHistoryDepth()).isEqualTo(5);
        assertThat(new ResumePoint(0, 7, null, 40).options().getAfterPosition()).isEqualTo(7);
        assertThat(new ResumePoint(0, 0, Instant.ofEpochSecond(9), 40).options().getSinceTime().getSeconds()).isEqualTo(9);
        // live only: after the log's last position at the first contact, so a restart loses nothing
        assertThat(new ResumePoint(0, 0, null, 40).options().getAfterPosition()).isEqualTo(40);
        // an empty log: everything that comes is new
        assertThat(new ResumePoint(0, 0, null, 0).options().hasSinceTime()).isTrue();
        // a server without the admin service: live from the first event
        assertThat(new ResumePoint(0, 0, null, -1).options()).isEqualTo(SubscriptionOptions.getDefaultInstance());
    }

    @Test
    void shouldResumeAfterTheLastTokenReceivedOnALogOfTokens() {
        byte[] mark = {1};
        byte[] given = {2};
        byte[] last = {3};
        // before an event: the user's token first, else live after the first contact's token
        assertThat(new ResumePoint(0, 7, null, 40, mark, given).options().getResumeToken().toByteArray())
                .isEqualTo(given);
        assertThat(new ResumePoint(0, 0, null, 40, mark, null).options().getResumeToken().toByteArray())
                .isEqualTo(mark);
        assertThat(new ResumePoint(5, 0, null, 40, mark, null).options().getHistoryDepth()).isEqualTo(5);
        // after one: its token, whatever the start
        ResumePoint r = new ResumePoint(0, 0, null, 40, mark, given);
        r.received(99, last);
        assertThat(r.options()).isEqualTo(SubscriptionOptions.newBuilder()
                .setResumeToken(com.google.protobuf.ByteString.copyFrom(last)).build());
    }
}
