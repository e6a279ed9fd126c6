package dev.tailbus.core.log;

/**
 * Where a subscription starts, as its request says, for {@link BusLog#openFeed}. The first that
 * is set wins: the resume token, the position, the time, the history depth; none: live only.
 *
 * @param historyDepth  stored events per matching topic before the live ones (0: none)
 * @param afterPosition resume after this position (0: not set)
 * @param sinceNanos    start at this receive time, nanoseconds since the epoch (negative: not set)
 * @param resumeToken   continue after the event that carried this token (null: not set)
 */
public record FeedStart(int historyDepth, long afterPosition, long sinceNanos, byte[] resumeToken) {
}
