package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.ringlab.node.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A broadcast announced by peers that never deliver it: Plumtree grafts each announcer twice, then forgets the
 * broadcast (so its repair state does not grow over a long run), and a later announcement starts a repair afresh.
 */
class GraftGiveUpTest {
    private static final long MS = 1_000_000L;

    private static List<Integer> graftsTo(RecordingEnv env) {
        return env.sent.stream().filter(s -> s.message() instanceof PlumtreeMessage.Graft).map(RecordingEnv.Sent::to)
                .toList();
    }

    @Test
    void anAnnouncedBroadcastThatNeverComesIsGraftedTwicePerAnnouncerThenForgotten() {
        Plumtree.Config config = Plumtree.Config.parse("plumtree:graft=100ms");
        Plumtree node = new Plumtree(new int[] {1, 2}, config);
        RecordingEnv env = new RecordingEnv(0, 3, 7);
        node.start(env);
        long id = 42;
        node.onMessage(1, new PlumtreeMessage.IHave(new long[] {id}, new int[] {1}, new int[] {0}));
        assertEquals(1, node.pendingRepairs());

        for (long t = 50; t <= 2_000; t += 50) {
            env.advanceTo(t * MS);
        }
        assertEquals(List.of(1, 1), graftsTo(env), "one announcer, grafted twice");
        assertEquals(0, node.pendingRepairs(), "the broadcast is forgotten once its announcers were tried");
        Message last = env.sent.getLast().message();
        assertInstanceOf(PlumtreeMessage.Graft.class, last);

        // A later announcement (from another peer) starts a new repair with its own attempts.
        node.onMessage(2, new PlumtreeMessage.IHave(new long[] {id}, new int[] {1}, new int[] {1}));
        assertEquals(1, node.pendingRepairs());
        for (long t = 2_050; t <= 4_000; t += 50) {
            env.advanceTo(t * MS);
        }
        assertEquals(List.of(1, 1, 2, 2), graftsTo(env));
        assertEquals(0, node.pendingRepairs());
    }

    @Test
    void aBroadcastThatArrivesEndsItsRepair() {
        Plumtree node = new Plumtree(new int[] {1, 2}, Plumtree.Config.parse("plumtree:graft=100ms"));
        RecordingEnv env = new RecordingEnv(0, 3, 7);
        node.start(env);
        node.onMessage(1, new PlumtreeMessage.IHave(new long[] {5}, new int[] {1}, new int[] {0}));
        node.onMessage(2, new Message.Broadcast(5, 1, 0, 1, new byte[0]));
        assertEquals(0, node.pendingRepairs());
        for (long t = 50; t <= 1_000; t += 50) {
            env.advanceTo(t * MS);
        }
        assertEquals(List.of(), graftsTo(env), "no graft for a broadcast that came");
    }
}
