package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One node of {@code batched:W} by hand: the root's window never sends a frame over the codec's cap and
 * uses as few frames as fit (a window of exactly one frame goes as one batch, one byte more as two); an
 * inner node passes a batch from its parent on to its children at once; a batch from anyone else is a bug;
 * a stopped root sends nothing more; a later window sends only what came after the last one.
 */
class BatchedFramesTest {
    static final long MS = 1_000_000L;

    /** Star around node 0 (children 1, 2, 3); the BFS tree from 0 is the star, node 0 the root. */
    private static final Overlay STAR = Overlay.fromAdjacency("star", false, new int[][] {{1, 2, 3}, {0}, {0}, {0}});
    /** Path 0 - 1 - 2 - 3: node 1's parent is 0, its child 2. */
    private static final Overlay PATH = Overlay.fromAdjacency("path", false, new int[][] {{1}, {0, 2}, {1, 3}, {2}});

    private static List<Message.Broadcast> items(int count, int payloadBytes) {
        List<Message.Broadcast> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new Message.Broadcast(i, 0, 0, 0, new byte[payloadBytes]));
        }
        return out;
    }

    /** Runs one window at the root with broadcasts of these payload sizes; returns what it sent. */
    private static List<RecordingEnv.Sent> window(int[] payloads) {
        RecordingEnv env = new RecordingEnv(0, 4, 1);
        Node root = Batched.protocol(2 * MS).create(0, STAR);
        root.start(env);
        for (int i = 0; i < payloads.length; i++) {
            root.onMessage(Env.CLIENT, new Message.Inject(i, new byte[payloads[i]]));
        }
        env.advanceTo(2 * MS);
        return env.sent;
    }

    @Test
    void aWindowOfExactlyOneFrameGoesAsOneBatchAndOneByteMoreAsTwo() {
        int big = 200_000;
        // Five big items and one that fills the frame to the last byte.
        List<Message.Broadcast> five = items(5, big);
        five.add(new Message.Broadcast(5, 0, 0, 0, new byte[0]));
        int fill = MessageCodec.MAX_FRAME_BYTES - MessageCodec.encodedSize(new Message.Batch(five));
        assertTrue(fill > 0 && fill < big, "fill " + fill);
        int[] exact = {big, big, big, big, big, fill};
        List<RecordingEnv.Sent> one = window(exact);
        assertEquals(3, one.size(), "one batch per child: " + one.size());
        for (RecordingEnv.Sent s : one) {
            Message.Batch b = (Message.Batch) s.message();
            assertEquals(6, b.items().size());
            assertEquals(MessageCodec.MAX_FRAME_BYTES, MessageCodec.encodedSize(b), "the batch fills the frame exactly");
        }
        exact[5] = fill + 1;
        List<RecordingEnv.Sent> two = window(exact);
        assertEquals(6, two.size(), "two frames per child once the window is one byte over");
        List<Long> ids = new ArrayList<>();
        for (RecordingEnv.Sent s : two) {
            assertTrue(MessageCodec.encodedSize(s.message()) <= MessageCodec.MAX_FRAME_BYTES, "frame over the cap");
            if (s.to() == 1) {
                if (s.message() instanceof Message.Batch b) {
                    b.items().forEach(x -> ids.add(x.id()));
                } else {
                    ids.add(((Message.Broadcast) s.message()).id());
                }
            }
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), ids, "every item once, in order, to child 1");
    }

    @Test
    void theLargestBroadcastThatFitsAFrameGoesDownAlone() {
        int payload = MessageCodec.MAX_FRAME_BYTES - MessageCodec.encodedSize(new Message.Broadcast(0, 0, 0, 1, new byte[0]));
        assertEquals(MessageCodec.MAX_FRAME_BYTES, MessageCodec.encodedSize(new Message.Broadcast(0, 0, 0, 1, new byte[payload])));
        List<RecordingEnv.Sent> sent = window(new int[] {payload, 10});
        assertEquals(6, sent.size(), "each item alone, to each of the three children");
        for (RecordingEnv.Sent s : sent) {
            assertTrue(s.message() instanceof Message.Broadcast, "a lone item goes as a plain broadcast");
            assertTrue(MessageCodec.encodedSize(s.message()) <= MessageCodec.MAX_FRAME_BYTES);
        }
    }

    @Test
    void aLongBurstIsSplitIntoAsFewFramesAsFit() {
        for (int count = 1; count <= 40; count += 13) {
            int[] payloads = new int[count];
            java.util.Arrays.fill(payloads, 100_000);
            List<RecordingEnv.Sent> sent = window(payloads);
            long toOne = sent.stream().filter(s -> s.to() == 1).count();
            int perFrame = (MessageCodec.MAX_FRAME_BYTES - 6)
                    / (MessageCodec.encodedSize(new Message.Broadcast(0, 0, 0, 1, new byte[100_000])) - 2);
            assertEquals((count + perFrame - 1) / perFrame, toOne, count + " items of 100 kB, " + perFrame + " per frame");
            for (RecordingEnv.Sent s : sent) {
                assertTrue(MessageCodec.encodedSize(s.message()) <= MessageCodec.MAX_FRAME_BYTES, count + " items");
            }
        }
    }

    @Test
    void anInnerNodePassesItsParentsBatchToItsChildAndDeliversTheNewItems() {
        RecordingEnv env = new RecordingEnv(1, 4, 1);
        Node inner = Batched.protocol(2 * MS).create(1, PATH);
        inner.start(env);
        env.nowNanos = 5 * MS;
        inner.onMessage(0, new Message.Broadcast(7, 3, 0, 1, new byte[0]));
        inner.onMessage(0, new Message.Batch(List.of(new Message.Broadcast(7, 3, 0, 1, new byte[0]),
                new Message.Broadcast(8, 0, 0, 1, new byte[0]))));
        List<Long> deliveredIds = env.observed.stream().filter(o -> o instanceof Observation.Delivered)
                .map(o -> ((Observation.Delivered) o).id()).toList();
        assertEquals(List.of(7L, 8L), deliveredIds, "id 7 once");
        assertEquals(List.of(2, 2), env.sent.stream().map(RecordingEnv.Sent::to).toList(), "both passed on to the child only");
        Message.Batch down = (Message.Batch) env.sent.get(1).message();
        assertEquals(List.of(2, 2), down.items().stream().map(Message.Broadcast::hop).toList(), "one hop further");
        assertTrue(env.timers.isEmpty(), "no window away from the root");
        // A broadcast from the child climbs: delivered and sent to the parent.
        inner.onMessage(2, new Message.Broadcast(9, 3, 0, 1, new byte[0]));
        assertEquals(new RecordingEnv.Sent(0, new Message.Broadcast(9, 3, 0, 2, new byte[0])).to(), env.sent.get(2).to());
        assertEquals(2, ((Message.Broadcast) env.sent.get(2).message()).hop());
        assertThrows(IllegalStateException.class, () -> inner.onMessage(2, new Message.Batch(List.of(
                new Message.Broadcast(10, 3, 0, 1, new byte[0]), new Message.Broadcast(11, 3, 0, 1, new byte[0])))));
        RecordingEnv leafEnv = new RecordingEnv(3, 4, 1);
        Node leaf = Batched.protocol(2 * MS).create(3, PATH);
        leaf.start(leafEnv);
        leaf.onMessage(2, new Message.Batch(List.of(new Message.Broadcast(1, 0, 0, 3, new byte[0]),
                new Message.Broadcast(2, 0, 0, 3, new byte[0]))));
        assertTrue(leafEnv.sent.isEmpty(), "a leaf has no one to pass to: " + leafEnv.sent);
        assertEquals(2, leafEnv.observed.size());
    }

    @Test
    void aStoppedRootSendsNothingMoreAndEachWindowSendsOnlyItsOwnItems() {
        RecordingEnv env = new RecordingEnv(0, 4, 1);
        Node root = Batched.protocol(2 * MS).create(0, STAR);
        root.start(env);
        root.stop(); // nothing pending: no-op
        root.onMessage(Env.CLIENT, new Message.Inject(1, new byte[0]));
        root.onMessage(Env.CLIENT, new Message.Inject(2, new byte[0]));
        env.advanceTo(2 * MS);
        assertEquals(3, env.sent.size());
        root.onMessage(Env.CLIENT, new Message.Inject(3, new byte[0]));
        env.advanceTo(4 * MS);
        assertEquals(6, env.sent.size());
        assertEquals(3L, ((Message.Broadcast) env.sent.get(5).message()).id(), "the second window holds only id 3");
        root.onMessage(Env.CLIENT, new Message.Inject(4, new byte[0]));
        root.stop();
        env.advanceTo(10 * MS);
        assertEquals(6, env.sent.size(), "stopped with a window open: nothing sent");
    }
}
