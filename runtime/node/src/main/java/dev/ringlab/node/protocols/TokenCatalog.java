package dev.ringlab.node.protocols;

import dev.ringlab.node.Message;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ReplicaMessage;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The fleet-wide catalog of secret tokens (for correlated DDoS defence): a set replicated to every node as an
 * observed-remove set, the OR-Set of Shapiro et al. ("A comprehensive study of convergent and commutative
 * replicated data types", INRIA RR-7506, 2011), propagated as deltas (Almeida et al., "Delta state
 * replicated data types", JPDC 2018) by {@link DeltaReplicator}.
 *
 * <h2>Semantics</h2>
 * {@link Message.CatalogAdd} at a node tags the token with a fresh, unique dot (the add delta's own dot).
 * {@link Message.CatalogRevoke} removes the tags of that token the node has seen: its delta carries them
 * ({@code observed}). A token is in the catalog while at least one of its tags is not removed. So a revoke
 * wins over every add it saw, and an add concurrent with a revoke (not seen by it) survives: "add wins
 * unless the revoke saw it". The state is the pair (added tags, removed tags) and applying a delta is a union
 * with it, hence commutative, associative and idempotent: replicas that applied the same deltas agree,
 * whatever the order. Removed tags are kept as tombstones, so a revoke that overtakes the add it removes
 * (they come from different origins) still removes it when the add arrives.
 */
public final class TokenCatalog extends DeltaReplicator {
    /** Live (not removed) tags per token, by token. */
    private final TreeMap<String, TreeSet<Message.Dot>> tags = new TreeMap<>();
    /** Removed tags (tombstones), with the token each belonged to. */
    private final Set<Message.Dot> removed = new HashSet<>();

    /** The catalog with {@code settings}; its spec is {@code catalog;} then {@link Settings#spec()}. */
    public static Protocol protocol(Settings settings) {
        Objects.requireNonNull(settings, "settings");
        return DeltaReplicator.protocol(CATALOG, settings, TokenCatalog::new);
    }

    public TokenCatalog(int id, Overlay overlay, Settings settings) {
        super(id, overlay, settings);
    }

    @Override
    protected void onClientRequest(ReplicaMessage.AppRequest request) {
        switch (request) {
            case Message.CatalogAdd a -> originate(Message.Delta.OP_ADD, a.token(), "", List.of());
            case Message.CatalogRevoke r -> {
                TreeSet<Message.Dot> seen = tags.get(r.token());
                originate(Message.Delta.OP_REVOKE, r.token(), "", seen == null ? List.of() : new ArrayList<>(seen));
            }
            // A config request sent to a catalog: another application's, ignored.
            case Message.ConfigPut p -> {}
        }
    }

    @Override
    protected void apply(Message.Delta d) {
        switch (d.op()) {
            case Message.Delta.OP_ADD -> {
                if (!removed.contains(d.dot())) {
                    if (!tags.computeIfAbsent(d.key(), k -> new TreeSet<>(DOT_ORDER)).add(d.dot())) {
                        throw new IllegalStateException("node " + self + ": tag " + d.dot() + " added twice");
                    }
                    hashIn(tagHash(d.key(), d.dot()));
                }
            }
            case Message.Delta.OP_REVOKE -> {
                for (Message.Dot tag : d.observed()) {
                    if (!removed.add(tag)) {
                        continue;
                    }
                    TreeSet<Message.Dot> live = tags.get(d.key());
                    if (live != null && live.remove(tag)) {
                        hashOut(tagHash(d.key(), tag));
                        if (live.isEmpty()) {
                            tags.remove(d.key());
                        }
                    }
                }
            }
            default -> throw new IllegalStateException("catalog at node " + self + " got a non-catalog delta " + d);
        }
    }

    private static long tagHash(String token, Message.Dot tag) {
        return Hashes.mix(Hashes.of(token), Hashes.of(tag));
    }

    /** True if {@code token} is in this node's catalog. */
    public boolean contains(String token) {
        return tags.containsKey(token);
    }

    /** The tokens in this node's catalog, sorted. */
    public List<String> tokens() {
        return List.copyOf(tags.keySet());
    }
}
