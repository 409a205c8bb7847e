package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.MessageType;
import dev.ringlab.node.ProtocolRegistry;
import dev.ringlab.node.RingMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@link NodeMetrics} counts messages per registered type, by name, in valid Prometheus text. */
class NodeMetricsTypesTest {
    /** A sample line of the text format 0.0.4: name, labels, integer value. */
    private static final Pattern SAMPLE = Pattern.compile("[a-z_]+\\{node=\"\\d+\"(,[a-z]+=\"[a-z0-9_]+\")?} \\d+");

    /** A type no ringlab provider registers, as a researcher's jar would add one. */
    private record Ping(long seq) implements Message {
        static final MessageType<Ping> TYPE = MessageType.of(200, "ping", Ping.class, p -> 8,
                (p, out) -> out.putLong(p.seq()), in -> new Ping(in.getLong()));

        @Override
        public MessageType<Ping> type() {
            return TYPE;
        }
    }

    @Test
    void everyRegisteredTypeIsCountedByItsName() {
        NodeMetrics m = new NodeMetrics(3);
        List<MessageType<?>> types = ProtocolRegistry.standard().messageTypes();
        assertFalse(types.isEmpty());
        for (MessageType<?> t : types) {
            for (int k = 0; k < t.id(); k++) {
                m.messageOut((byte) t.id(), 10);
            }
            m.messageIn((byte) t.id(), 10);
        }
        m.messageIn((byte) 99, 10); // no registered type has id 99
        m.messageIn((byte) 250, 10);
        for (MessageType<?> t : types) {
            assertEquals(t.id(), m.messagesOut(t.name()), t.name());
            assertEquals(1, m.messagesIn(t.name()), t.name());
        }
        assertEquals(2, m.messagesIn("unknown"));
        String text = m.prometheus();
        assertTrue(text.contains("ringlab_messages_out_total{node=\"3\",type=\"cache_signal\"} 15\n"), text);
        assertTrue(text.contains("ringlab_messages_in_total{node=\"3\",type=\"unknown\"} 2\n"), text);
        assertTrue(text.contains("ringlab_messages_out_total{node=\"3\",type=\"token\"} " + RingMessage.TOKEN.id() + "\n"),
                text);
        assertEquals("token", MessageCodec.typeName(MessageCodec.type(new Message.Token(0, 1, 0, 0, 0, 0, new byte[0]))));
    }

    @Test
    void aResearchersTypeGetsItsOwnSeries() {
        List<MessageType<?>> types = new ArrayList<>(ProtocolRegistry.standard().messageTypes());
        types.add(Ping.TYPE);
        NodeMetrics m = new NodeMetrics(0, types);
        Ping p = new Ping(7);
        m.messageOut(MessageCodec.type(p), MessageCodec.encodedSize(p) + 4);
        m.messageOut(MessageCodec.type(p), MessageCodec.encodedSize(p) + 4);
        assertEquals(2, m.messagesOut("ping"));
        assertEquals(0, m.messagesOut("unknown"), "id 200 > 127 must not be taken for a negative id");
        assertTrue(m.prometheus().contains("ringlab_messages_out_total{node=\"0\",type=\"ping\"} 2\n"), m.prometheus());
    }

    /** Every line is a comment or a sample, each metric has one HELP and one TYPE, and no series repeats. */
    @Test
    void theTextIsWellFormed() {
        String text = new NodeMetrics(1).prometheus();
        assertTrue(text.endsWith("\n"));
        Set<String> series = new HashSet<>();
        Set<String> typed = new HashSet<>();
        int samples = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("# HELP ")) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                assertTrue(typed.add(line.split(" ")[2]), "TYPE twice: " + line);
                continue;
            }
            assertTrue(SAMPLE.matcher(line).matches(), "not a sample line: '" + line + "'");
            String name = line.substring(0, line.indexOf('{'));
            assertTrue(typed.contains(name), "sample before its TYPE: " + line);
            assertTrue(series.add(line.substring(0, line.lastIndexOf(' '))), "series twice: " + line);
            samples++;
        }
        assertTrue(samples > 2 * ProtocolRegistry.standard().messageTypes().size(), "samples: " + samples);
    }
}
