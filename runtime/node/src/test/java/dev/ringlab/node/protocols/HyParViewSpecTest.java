package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code hyparview+plumtree}'s spec and wire: every spec {@link HyParView.Config#spec} writes parses back through
 * the {@link ProtocolRegistry} to itself (how a {@code processes} child rebuilds the protocol), bad options fail
 * naming the option, and every membership message round-trips through the codec under its ids 27..34. Seeded
 * loops; a failure names the case seed.
 */
class HyParViewSpecTest {
    private static final long HOUR = 3_600_000_000_000L;

    private static long nanos(SplittableRandom r, long min, long max) {
        long v = r.nextBoolean() ? (1 + r.nextLong(1_000)) * 1_000_000L : 1 + r.nextLong(HOUR);
        return Math.max(min, Math.min(max, v));
    }

    private static HyParView.Config config(SplittableRandom r) {
        int arwl = 1 + r.nextInt(64);
        long hb = nanos(r, 1, HOUR / 4);
        long suspect = hb + nanos(r, 0, HOUR / 4);
        long grace = suspect + nanos(r, 0, HOUR / 4);
        Plumtree.Config p = new Plumtree.Config(nanos(r, 0, HOUR), r.nextBoolean() ? 0 : nanos(r, 0, HOUR),
                nanos(r, 1, HOUR), r.nextInt(8), r.nextBoolean());
        return new HyParView.Config(1 + r.nextInt(1024), 1 + r.nextInt(4096), arwl, r.nextInt(arwl + 1), r.nextInt(100),
                r.nextInt(100), nanos(r, 1, HOUR), hb, suspect, grace, p);
    }

    @Test
    void everySpecParsesBackToItself() {
        SplittableRandom master = new SplittableRandom(0x4B9_0001L);
        for (int c = 0; c < 300; c++) {
            long seed = master.nextLong();
            HyParView.Config config = config(new SplittableRandom(seed));
            Protocol p = HyParView.protocol(config);
            Protocol back = ProtocolRegistry.standard().protocol(p.spec());
            assertEquals(p.spec(), back.spec(), "case seed " + seed);
            assertTrue(HyParView.is(back) && Plumtree.is(back), "case seed " + seed + ": " + back);
            assertEquals(config, HyParView.Config.parse(p.spec()), "case seed " + seed);
        }
        for (String s : List.of("hyparview+plumtree", "hyparview+plumtree:active=7", "HyParView+Plumtree:passive=50,lazy=0ms",
                "hyparview+plumtree:suspect=2s")) {
            Protocol p = ProtocolRegistry.standard().protocol(s);
            assertEquals(p.spec(), ProtocolRegistry.standard().protocol(p.spec()).spec(), s);
        }
        // A longer suspicion timeout carries the default grace along, so a short spec stays valid.
        assertEquals(2_000_000_000L, HyParView.Config.parse("hyparview+plumtree:suspect=2s").graceNanos());
    }

    @Test
    void badOptionsNameTheOption() {
        for (String[] bad : new String[][] {
            {"hyparview+plumtree:active=0", "active"},
            {"hyparview+plumtree:prwl=9", "prwl"},
            {"hyparview+plumtree:bogus=1", "bogus"},
            {"hyparview+plumtree:hb=1s,suspect=10ms", "suspect"},
            {"hyparview+plumtree:shuffle=fast", "shuffle"},
            {"hyparview+plumtree:ka=x", "ka"},
            {"hyparview+plumtree:trees=maybe", "trees"},
            {"hyparview+plumtree:active", "KEY=VALUE"},
        }) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Protocols.parse(bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), bad[0] + ": " + e.getMessage());
        }
    }

    @Test
    void everyMembershipMessageRoundTripsUnderItsOwnId() {
        SplittableRandom r = new SplittableRandom(0x4B9_0002L);
        List<Message> all = new ArrayList<>();
        for (int c = 0; c < 50; c++) {
            int[] nodes = r.ints(r.nextInt(20), 0, Integer.MAX_VALUE).toArray();
            all.add(new HyParViewMessage.Shuffle(r.nextInt(1 << 20), r.nextInt(10), nodes));
            all.add(new HyParViewMessage.ShuffleReply(nodes));
            all.add(new HyParViewMessage.ForwardJoin(r.nextInt(1 << 20), r.nextInt(10)));
            all.add(new HyParViewMessage.Neighbor(r.nextInt(3)));
            all.add(new HyParViewMessage.NeighborReply(r.nextBoolean()));
        }
        all.add(new HyParViewMessage.Join());
        all.add(new HyParViewMessage.Disconnect());
        all.add(new HyParViewMessage.KeepAlive());
        for (Message m : all) {
            assertEquals(m, MessageCodec.decode(MessageCodec.encode(m)), m.toString());
            int id = m.type().id();
            assertTrue(id >= 27 && id <= 34, m + " has id " + id);
            assertEquals(m.type(), ProtocolRegistry.standard().messageType(id), m.toString());
        }
        assertEquals(8, HyParViewMessage.types().stream().map(t -> t.id()).distinct().count());
        assertThrows(IllegalArgumentException.class, () -> new HyParViewMessage.Neighbor(3));
        assertThrows(IllegalArgumentException.class, () -> new HyParViewMessage.ShuffleReply(new int[] {1, -2}));
    }
}
