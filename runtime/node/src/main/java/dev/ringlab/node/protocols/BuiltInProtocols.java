package dev.ringlab.node.protocols;

import dev.ringlab.node.BroadcastMessage;
import dev.ringlab.node.CacheMessage;
import dev.ringlab.node.MessageType;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolProvider;
import dev.ringlab.node.ReplicaMessage;
import dev.ringlab.node.RingMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * ringlab's own protocols as a {@link ProtocolProvider}: the broadcast protocols of {@link Protocols}, the
 * token ring with its stations, the healing ring, the replicated applications, the failover cache, the
 * delta cache and HyParView with Plumtree over it.
 * Every spec their {@link Protocol#spec()} writes parses back here. Their message types are the seven
 * families' ({@link BroadcastMessage}, {@link RingMessage}, {@link ReplicaMessage}, {@link CacheMessage}, ids
 * 1..15, {@link PlumtreeMessage}, ids 19..21, {@link DeltaMessage}, ids 22..26, and {@link HyParViewMessage},
 * ids 27..34).
 */
public final class BuiltInProtocols implements ProtocolProvider {
    @Override
    public List<String> forms() {
        return List.of(Protocols.VALID, "token[;STATION...] (the token ring; stations delay:D@N)",
                RecoveryConfig.SPEC_PREFIX + ":... (the healing ring, as its spec() writes it)",
                "config;... | catalog;... (the replicated applications, as their spec() writes it)",
                CacheConfig.SPEC_PREFIX + ":... (the failover cache, as its spec() writes it)",
                DeltaCacheConfig.SPEC_PREFIX + ":... (the delta cache, as its spec() writes it)");
    }

    @Override
    public List<MessageType<?>> messageTypes() {
        List<MessageType<?>> all = new ArrayList<>();
        all.addAll(BroadcastMessage.types());
        all.addAll(RingMessage.types());
        all.addAll(ReplicaMessage.types());
        all.addAll(CacheMessage.types());
        all.addAll(PlumtreeMessage.types());
        all.addAll(DeltaMessage.types());
        all.addAll(HyParViewMessage.types());
        return all;
    }

    @Override
    public Protocol parse(String spec) {
        if (DeltaCacheConfig.isSpec(spec)) {
            return DeltaCache.protocol(DeltaCacheConfig.parse(spec));
        }
        if (CacheConfig.isSpec(spec)) {
            return FailoverCache.protocol(CacheConfig.parse(spec));
        }
        if (HealingRing.isSpec(spec)) {
            return HealingRing.protocol(RecoveryConfig.parse(spec));
        }
        if (DeltaReplicator.isSpec(spec)) {
            return DeltaReplicator.parse(spec);
        }
        if (spec.equals("token") || spec.startsWith("token;")) {
            List<StationSpec> stations = new ArrayList<>();
            String[] parts = spec.split(";");
            for (int i = 1; i < parts.length; i++) {
                stations.add(StationSpec.parse(parts[i]));
            }
            return TokenRing.protocol(stations);
        }
        return Protocols.parseBroadcast(spec);
    }
}
