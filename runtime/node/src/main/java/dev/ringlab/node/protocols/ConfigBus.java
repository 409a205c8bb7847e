package dev.ringlab.node.protocols;

import dev.ringlab.node.Message;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ReplicaMessage;
import dev.ringlab.topology.Overlay;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The config bus: fast deploys as versioned deltas. A client's {@link Message.ConfigPut} at any node becomes
 * a delta {@code (key, value, origin, sequence)} that {@link DeltaReplicator} carries to every node (around
 * the healing ring, or flooded on an expander, with in-order application per origin, gap pulls and
 * anti-entropy) and acknowledges once a replica holds it.
 *
 * <h2>Conflicts</h2>
 * Concurrent puts to one key from different origins are ordered by Lamport clock (Lamport, "Time, clocks,
 * and the ordering of events in a distributed system", CACM 1978), ties broken by origin node then
 * incarnation: a last-writer-wins register per key (Shapiro et al., "Conflict-free replicated data types",
 * SSS 2011, LWW-Register), so the value of a key is a function of the set of deltas applied, whatever their
 * order, and nodes that applied the same deltas hold the same config. A put causally after another (the
 * origin had applied it) always has a higher Lamport stamp, so it wins.
 */
public final class ConfigBus extends DeltaReplicator {
    /** The winning delta of each key, by key (sorted: iteration never depends on hashing). */
    private final TreeMap<String, Message.Delta> config = new TreeMap<>();

    /** The config bus with {@code settings}; its spec is {@code config;} then {@link Settings#spec()}. */
    public static Protocol protocol(Settings settings) {
        Objects.requireNonNull(settings, "settings");
        return DeltaReplicator.protocol(CONFIG, settings, ConfigBus::new);
    }

    public ConfigBus(int id, Overlay overlay, Settings settings) {
        super(id, overlay, settings);
    }

    @Override
    protected void onClientRequest(ReplicaMessage.AppRequest request) {
        switch (request) {
            case Message.ConfigPut p -> originate(Message.Delta.OP_PUT, p.key(), p.value(), List.of());
            // Catalog requests sent to a config bus: another application's, ignored.
            case Message.CatalogAdd a -> {}
            case Message.CatalogRevoke r -> {}
        }
    }

    @Override
    protected void apply(Message.Delta d) {
        if (d.op() != Message.Delta.OP_PUT) {
            throw new IllegalStateException("config bus at node " + self + " got a non-put delta " + d);
        }
        Message.Delta old = config.get(d.key());
        if (old == null || wins(d, old)) {
            if (old != null) {
                hashOut(entryHash(old));
            }
            config.put(d.key(), d);
            hashIn(entryHash(d));
        }
    }

    /** Last-writer-wins order: Lamport stamp, then origin node, then incarnation. */
    static boolean wins(Message.Delta a, Message.Delta b) {
        if (a.lamport() != b.lamport()) {
            return a.lamport() > b.lamport();
        }
        if (a.dot().node() != b.dot().node()) {
            return a.dot().node() > b.dot().node();
        }
        return a.dot().incarnation() > b.dot().incarnation();
    }

    private static long entryHash(Message.Delta d) {
        return Hashes.mix(Hashes.mix(Hashes.of(d.key()), Hashes.of(d.value())), Hashes.of(d.dot()));
    }

    /** The value of {@code key} here, or null. */
    public String get(String key) {
        Message.Delta d = config.get(key);
        return d == null ? null : d.value();
    }

    /** This node's config, key to value, sorted by key. */
    public Map<String, String> snapshot() {
        TreeMap<String, String> out = new TreeMap<>();
        config.forEach((k, d) -> out.put(k, d.value()));
        return Collections.unmodifiableMap(out);
    }
}
