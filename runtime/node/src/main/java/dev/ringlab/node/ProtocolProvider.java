package dev.ringlab.node;

import java.util.List;

/**
 * A source of protocols, found through {@link java.util.ServiceLoader}: a jar that lists its provider in
 * {@code META-INF/services/dev.ringlab.node.ProtocolProvider} adds protocols to every engine (the simulator,
 * the in-JVM Netty cluster and each {@code ringlab node} process) without editing ringlab. The
 * {@link ProtocolRegistry} asks each provider in turn.
 *
 * <p>Contract: {@link #parse} is pure (no I/O) and cheap; it returns {@code null} for a spec that is not
 * this provider's, so providers never need to know of each other. A protocol's {@link Protocol#spec()} must
 * parse back, through the same provider, to an equal protocol: that is how a {@code processes} child
 * rebuilds the protocol its parent runs.
 *
 * <p>A protocol that sends message types of its own registers them through {@link #messageTypes()}: the
 * registry builds the codec's id table from every provider's list, so a new type touches only its
 * protocol's files.
 */
public interface ProtocolProvider {
    /**
     * The spec forms this provider accepts, one line each, e.g. {@code "gossip:F  push gossip with fanout
     * F >= 1"}: shown in {@code --help} and in the error for an unknown spec.
     */
    List<String> forms();

    /**
     * The protocol named by {@code spec}, or {@code null} if the spec is not this provider's.
     *
     * @throws IllegalArgumentException if the spec is this provider's but malformed, naming what is wrong
     */
    Protocol parse(String spec);

    /**
     * The message types this provider's protocols send (each a constant, see {@link MessageType}); none by
     * default, for protocols that only use other providers' types. Ids must be in
     * {@value MessageType#FIRST_THIRD_PARTY_ID}..{@value MessageType#MAX_ID} unless the provider is
     * ringlab's own; the {@link ProtocolRegistry} refuses an id or a name that another type already has.
     * The same type instance may be listed by several providers.
     */
    default List<MessageType<?>> messageTypes() {
        return List.of();
    }
}
