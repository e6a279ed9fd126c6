package dev.tailbus.protobus.admin;

import com.google.protobuf.Timestamp;
import dev.tailbus.core.TailbusException;
import dev.tailbus.core.log.BusLog;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.TopicPatterns;
import dev.tailbus.core.log.TopicStats;
import dev.tailbus.protobus.admin.proto.AdminGrpc;
import dev.tailbus.protobus.admin.proto.ListTopicsRequest;
import dev.tailbus.protobus.admin.proto.ListTopicsResponse;
import dev.tailbus.protobus.admin.proto.ServerInfoRequest;
import dev.tailbus.protobus.admin.proto.ServerInfoResponse;
import dev.tailbus.protobus.admin.proto.TopicInfo;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code tailbus.admin.Admin} gRPC service: what the store under a protobus server holds,
 * per topic (for {@code tailbus topics}), and the log's last position (which the client library
 * uses to start a live subscription at an exact position, so that it can resume after a
 * reconnect without loss).
 *
 * <p>Design note: a service of its own rather than a method on {@code protobus.ProtobusService},
 * which stays the compatible interface. It only reads the log's in-memory topic tables; no file is
 * read. Thread-safe.
 */
public final class AdminService extends AdminGrpc.AdminImplBase {
    private final BusLog log;
    private final ServerFacts facts;

    /** Serves the statistics of {@code log}; {@code ServerInfo} knows only the log. */
    public AdminService(BusLog log) {
        this(log, new ServerFacts(ServerFacts.jarVersion(), java.time.Instant.now(), List.of(), "", 0, () -> 0, () -> 0));
    }

    /** Serves the statistics of {@code log} and the facts of the server it runs in. */
    public AdminService(BusLog log, ServerFacts facts) {
        this.log = log;
        this.facts = facts;
    }

    @Override
    public void serverInfo(ServerInfoRequest request, StreamObserver<ServerInfoResponse> response) {
        java.time.Instant started = facts.started();
        response.onNext(ServerInfoResponse.newBuilder()
                .setVersion(facts.version())
                .setStarted(Timestamp.newBuilder().setSeconds(started.getEpochSecond()).setNanos(started.getNano()))
                .setStore(log.describe())
                .addAllStorePatterns(facts.storePatterns())
                .setFlush(facts.flush())
                .setPublishers(facts.publishers().getAsInt())
                .setSubscriptions(facts.subscriptions().getAsInt())
                .setMaxEventBytes(facts.maxEventBytes())
                .setLastPosition(log.lastPosition())
                .build());
        response.onCompleted();
    }

    @Override
    public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> response) {
        Pattern filter;
        try {
            filter = request.getTopicsCount() == 0 ? null : compile(request.getTopicsList());
        } catch (TailbusException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        ListTopicsResponse.Builder answer = ListTopicsResponse.newBuilder();
        try {
            // the position first: every listed event is at or below it
            answer.setLastPosition(log.lastPosition());
            List<TopicStats> topics = log.topics();
            topics.stream()
                    .filter(t -> filter == null || TopicPatterns.matches(filter, t.topic()))
                    .sorted(Comparator.comparing(TopicStats::topic))
                    .forEach(t -> answer.addTopics(info(t)));
        } catch (TailbusException e) {
            response.onError(Status.UNAVAILABLE.withDescription("cannot read the store: " + e.getMessage())
                    .asRuntimeException());
            return;
        }
        response.onNext(answer.build());
        response.onCompleted();
    }

    private static Pattern compile(List<String> regexes) {
        for (String regex : regexes) {
            TopicPatterns.compile(regex); // names the culprit when one is invalid on its own
        }
        return TopicPatterns.compile(String.join("|", regexes));
    }

    private static TopicInfo info(TopicStats t) {
        return TopicInfo.newBuilder()
                .setTopic(t.topic())
                .setEvents(t.events())
                .setBytes(t.bytes())
                .setFirstPosition(t.firstPosition())
                .setLastPosition(t.lastPosition())
                .setFirstTime(timestamp(t.firstTimeNanos()))
                .setLastTime(timestamp(t.lastTimeNanos()))
                .build();
    }

    static Timestamp timestamp(long nanos) {
        return Timestamp.newBuilder()
                .setSeconds(Math.floorDiv(nanos, 1_000_000_000L))
                .setNanos((int) Math.floorMod(nanos, 1_000_000_000L))
                .build();
    }
}
