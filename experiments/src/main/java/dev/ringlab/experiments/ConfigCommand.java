package dev.ringlab.experiments;

import dev.ringlab.node.Message;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.ConfigBus;
import dev.ringlab.node.protocols.DeltaReplicator;
import dev.ringlab.node.check.ReplicaWatch;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringlab config}: the config bus ({@link ConfigBus}) under load and crashes: K puts at seeded random
 * nodes, spread over {@code --keys} keys, at {@code --rate} per second (see {@link ReplicaCommand}).
 */
@Command(
        name = "config",
        mixinStandardHelpOptions = true,
        header = "Config bus: versioned deltas to every node; convergence, cost and acknowledged-write loss.",
        description = {
            "Injects --deltas K config puts (keys key-0..key-(KEYS-1)) at seeded random live nodes at --rate per second.",
            "On --topology ring the deltas ride the healing ring's token (--via token, the default: appended to its",
            "payload at their origin, dropped after a rotation) or go hop by hop along the live successor (--via hop);",
            "on an expander (random-regular:4, ...) they are flooded. Both run anti-entropy every --ae. --crash K crashes K seeded",
            "nodes halfway through (--crash-at), --respawn-after D brings them back; --faults adds a plan (times from the first",
            "operation, after a warm-up: 300 ms, on the ring at least the detectors' probation). On the ring, --heartbeat, --suspicion-timeout and",
            "--loss-timeout default to the engine's timing (printed with the run's options); --via, --successors and the",
            "timing flags are ring-only and refused on an expander.",
            "",
            "--json fields: engine, seed, nodes, topology, overlay, protocol, latency, loss, processing, faults,",
            "rate_per_s, operations,",
            "operations_issued, crashed, respawn_after_ms, live_nodes, converged (all live nodes report one state",
            "hash), state_hash, deltas, deltas_held, acked, lost_deltas (acknowledged deltas some live node lacks:",
            "must be 0), lost_delta_samples, unacked_missing (unacknowledged deltas that died with their origin),",
            "order_violations (deltas a node applied out of its origin's order or twice) and phantom_acks",
            "(acknowledgements of deltas nobody created), both with --check (null without; must be 0),",
            "convergence_ms {p50, p99, max} (creation to applied on every node that never crashed),",
            "convergence_measured, msgs_per_delta and bytes_per_delta (application messages: deltas, digests, acks,",
            "and with --via token each token pass with deltas on board, counted with its payload bytes),",
            "cluster_msgs_per_delta (every message, ring maintenance included), dropped (messages the engine dropped),",
            "ring health as 'ringlab recover' measures it (ring only, null on an expander): false_suspicions (of a node",
            "that was not down), tokens_max_after_repair (most token epochs at once from the first full rotation",
            "after the last fault, or after the start, through a tail of 5/4 --loss-timeout), tokens_created,",
            "token_creations (node@ms from the first operation), token_hop_ms_mean; keys, settle_ms (last operation to",
            "convergence), trace_hash (sim), engine_time_ms",
            "(first operation to convergence plus one anti-entropy round; the ring-health tail is not in it), wall_ms.",
            "Exit 1 if the live nodes did not converge or an acknowledged delta was lost."
        })
public final class ConfigCommand extends ReplicaCommand {
    @Option(names = "--deltas", paramLabel = "K", description = "Config puts to make (default: ${DEFAULT-VALUE}).")
    int deltas = 200;

    @Option(names = "--keys", paramLabel = "N", description = "Distinct keys the puts go to (default: ${DEFAULT-VALUE}).")
    int keys = 32;

    @Override
    String name() {
        return "config";
    }

    @Override
    int operations() {
        if (deltas < 1) {
            throw new UsageException("--deltas", "must be >= 1, got " + deltas);
        }
        if (keys < 1) {
            throw new UsageException("--keys", "must be >= 1, got " + keys);
        }
        return deltas;
    }

    @Override
    Protocol protocol(DeltaReplicator.Settings settings) {
        return ConfigBus.protocol(settings);
    }

    @Override
    Message operation(int i, SplittableRandom r) {
        return new Message.ConfigPut("key-" + r.nextInt(keys), String.format("v%06d-%08x", i, r.nextInt()));
    }

    @Override
    void report(Map<String, Object> o, ReplicaWatch watch, IntPredicate stable) {
        o.put("keys", keys);
    }
}
