package dev.ringlab.experiments;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.DeltaReplicator;
import dev.ringlab.node.protocols.TokenCatalog;
import dev.ringlab.node.check.ReplicaWatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringlab catalog}: the fleet-wide token catalog ({@link TokenCatalog}, an OR-Set) under load and
 * crashes: new secret tokens added at seeded random nodes, some revoked later from other nodes (see
 * {@link ReplicaCommand}).
 */
@Command(
        name = "catalog",
        mixinStandardHelpOptions = true,
        header = "Token catalog: a replicated OR-Set of secret tokens; time to fleet, bytes per token, crashes.",
        description = {
            "Makes --tokens K operations at seeded random live nodes at --rate per second: each adds a fresh random",
            "secret token, or with probability --revoke-fraction revokes one added earlier. Propagation as in",
            "'ringlab config' (ring: on the healing ring's token, or hop by hop with --via hop; expander: flooding; anti-entropy every --ae).",
            "",
            "--json fields: those of 'ringlab config' (converged, lost_deltas, convergence_ms over all operations,",
            "msgs_per_delta, ...) plus adds, revokes, time_to_fleet_ms {p50, p99, max} (a new token's add, from",
            "creation to applied on every node that never crashed), bytes_per_token (application bytes sent / adds),",
            "add_delta_bytes (the encoded size of one add travelling alone).",
            "Exit 1 if the live nodes did not converge or an acknowledged delta was lost."
        })
public final class CatalogCommand extends ReplicaCommand {
    @Option(names = "--tokens", paramLabel = "K", description = "Catalog operations to make (default: ${DEFAULT-VALUE}).")
    int tokens = 200;

    @Option(names = "--revoke-fraction", paramLabel = "F", description = "Share of operations that revoke (default: ${DEFAULT-VALUE}).")
    double revokeFraction = 0.2;

    private final List<String> added = new ArrayList<>();

    @Override
    String name() {
        return "catalog";
    }

    @Override
    int operations() {
        if (tokens < 1) {
            throw new UsageException("--tokens", "must be >= 1, got " + tokens);
        }
        if (!(revokeFraction >= 0 && revokeFraction < 1)) {
            throw new UsageException("--revoke-fraction", "must be in [0, 1), got " + revokeFraction);
        }
        return tokens;
    }

    @Override
    Protocol protocol(DeltaReplicator.Settings settings) {
        return TokenCatalog.protocol(settings);
    }

    @Override
    Message operation(int i, SplittableRandom r) {
        if (!added.isEmpty() && r.nextDouble() < revokeFraction) {
            return new Message.CatalogRevoke(added.get(r.nextInt(added.size())));
        }
        String token = String.format("%016x%016x", r.nextLong(), r.nextLong());
        added.add(token);
        return new Message.CatalogAdd(token);
    }

    @Override
    void report(Map<String, Object> o, ReplicaWatch watch, IntPredicate stable) {
        int adds = watch.deltasCreated(Message.Delta.OP_ADD);
        o.put("adds", adds);
        o.put("revokes", watch.deltasCreated(Message.Delta.OP_REVOKE));
        o.put("time_to_fleet_ms", percentiles(watch.convergenceNanos(Message.Delta.OP_ADD, stable)));
        o.put("bytes_per_token", adds == 0 ? null : round((double) watch.appBytes() / adds));
        Message.Delta sample = new Message.Delta(new Message.Dot(0, 0, 1), 1, Message.Delta.OP_ADD,
                "0123456789abcdef0123456789abcdef", "", List.of());
        o.put("add_delta_bytes", MessageCodec.encodedSize(new Message.Deltas(List.of(sample))));
    }
}
