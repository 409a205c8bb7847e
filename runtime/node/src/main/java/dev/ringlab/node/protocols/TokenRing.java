package dev.ringlab.node.protocols;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.RingMessage;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * The particle: a single token circling a ring, as in the original "ring of servers" idea (a metal
 * particle dropped into a sealed circular tunnel; an airport train whose stops may hold it), which is the
 * token ring of IEEE 802.5 / Le Lann's token-passing ring (1977) without the medium access part.
 *
 * <h2>Algorithm</h2>
 * Node {@link #ORIGIN} creates the token when it starts (epoch 0, rotation 1). A node that receives the
 * token ticks, runs its {@link Station}s (which may replace the payload and hold the token), then sends it
 * to its successor {@code (self + 1) mod n}. When the token returns to the origin, rotation {@code r} is
 * complete: the origin reports its period and starts rotation {@code r + 1}.
 *
 * <h2>Ticks</h2>
 * A node ticks when it takes the token (on arrival; the origin when it creates it or starts a rotation),
 * and the tick number is the token's rotation number, so all nodes agree on the count by construction:
 * every node ticks 1, 2, 3, ... once each, and the origin ticks {@code r} at the start of rotation
 * {@code r} while the others tick {@code r} as the token reaches them during it.
 *
 * <h2>Compensated ticks</h2>
 * A plain tick fires when the token passes, so tick {@code k} sweeps the ring: node {@code v} ticks about
 * {@code v} hops after node 0, and the spread across the ring (the tick skew) is most of a rotation. Each
 * node also fires a <em>compensated</em> tick ({@link Observation.CompensatedTick}): on taking the token for
 * tick {@code k}, it schedules compensated tick {@code k} after its estimated time for the token to get back to
 * node 0, {@code (n - v) * step} (node 0: {@code n * step}), with {@code step} the node's own
 * rotation-derived time per link: {@code intervalNanos / hops} between two visits (the hop latency of the
 * {@link Observation.RotationEstimate} plus the station holds spread evenly over the links), smoothed over
 * visits with gain 1/8 as TCP smooths round-trip times (Jacobson, SIGCOMM 1988). So all nodes
 * fire tick {@code k} at about the instant rotation {@code k} ends, the spread being the error of each node's
 * estimate (rotation jitter, uneven holds, timer lateness) instead of the sweep. This is delay compensation
 * as in Cristian's clock synchronisation (Cristian, "Probabilistic clock synchronization", Distributed
 * Computing 1989), with the latency taken from the rotation period instead of a round trip. A node has no
 * estimate before its second visit, so compensated ticks start at tick 2.
 *
 * <h2>Latency from the particle</h2>
 * Two ways, from the token alone (no other message): each arrival yields the hop latency just crossed
 * from the token's {@code sentAtNanos} ({@link Observation.TokenArrived#hopNanos}); and each node, from the
 * interval between two visits of the token (the rotation period as seen by that node) minus the station
 * holds in between, divided by the links crossed in between (both are running totals on the token, see
 * {@link Message.Token}), estimates the mean hop latency from the rotation frequency
 * ({@link Observation.RotationEstimate}). On a ring with pass-through stations, the estimate is exactly the
 * mean of the {@code n} measured hops inside that cycle (up to 1 ns of integer division).
 *
 * <h2>Overlays</h2>
 * Any overlay with an arc from every node to {@code (v + 1) mod n}: {@code ring}, and {@code biring}, whose
 * backward edges are then unused. {@link Protocol#checkOverlay} (and the constructor) rejects others.
 *
 * <h2>Invariants (checked, they throw)</h2>
 * The token comes only from the predecessor; its rotation is the one after this node's last tick (the
 * origin: the one it started); its hop count grows; a node never holds two tokens. Exactly one token in
 * the whole cluster is a cluster-wide property: {@link TokenCensus} checks it.
 *
 * <p>Epochs are for token regeneration after a crash (a later issue): this version creates epoch 0
 * only, and a node rejects a token of any other epoch.
 */
public final class TokenRing implements Node {
    /** The node that creates the token and counts rotations. */
    public static final int ORIGIN = 0;

    private static final byte[] EMPTY = new byte[0];

    private final int self;
    private final int n;
    private final int successor;
    private final int predecessor;
    private final List<Station> stations;
    private Env env;

    private long epoch;
    private long lastTick;
    private boolean holding;
    // The token's running totals at this node's previous visit: the rotation-frequency estimate is the
    // difference to the next visit.
    private boolean visited;
    private long prevVisitAtNanos;
    private long prevHop;
    private long prevHeldNanos;
    /** Time per link from the rotation estimates (holds included), smoothed; 0 until there is one. */
    private long stepNanos;

    /** The token ring with no station (every node lets the token through at full speed). */
    public static Protocol protocol() {
        return protocol(List.of());
    }

    /**
     * The token ring with the given stations; a node with several stations runs them in list order (holds
     * add up, each sees the payload the previous one left). Spec: {@code token}, or {@code token;S1;S2...}
     * with each {@code S} a {@link StationSpec#spec()}.
     */
    public static Protocol protocol(List<StationSpec> specs) {
        List<StationSpec> copy = List.copyOf(specs);
        StringBuilder spec = new StringBuilder("token");
        for (StationSpec s : copy) {
            spec.append(';').append(s.spec());
        }
        return protocol(spec.toString(), v -> {
            List<Station> at = new ArrayList<>();
            for (StationSpec s : copy) {
                if (s.appliesTo(v)) {
                    at.add(s.create());
                }
            }
            return at;
        });
    }

    /**
     * The token ring with arbitrary stations: {@code stationsAt.apply(v)} gives node {@code v}'s stations,
     * called once per node incarnation (so stations may keep state).
     */
    public static Protocol protocol(String spec, IntFunction<List<Station>> stationsAt) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(stationsAt, "stationsAt");
        return new Protocol() {
            @Override
            public String spec() {
                return spec;
            }

            @Override
            public Node create(int id, Overlay overlay) {
                return new TokenRing(id, overlay, stationsAt.apply(id));
            }

            @Override
            public void checkOverlay(Overlay overlay) {
                if (overlay.size() < 2) {
                    throw new IllegalArgumentException("a token ring needs at least 2 nodes, got " + overlay.size());
                }
                Ring.requireSuccessorArcs(overlay, "the token ring");
            }
        };
    }

    /**
     * @throws IllegalArgumentException if the overlay has fewer than 2 nodes, has no arc from {@code id} to
     *     its successor, or a station targets a node outside it
     */
    public TokenRing(int id, Overlay overlay, List<Station> stations) {
        Objects.requireNonNull(overlay, "overlay");
        this.n = overlay.size();
        if (n < 2) {
            throw new IllegalArgumentException("a token ring needs at least 2 nodes, got " + n);
        }
        if (id < 0 || id >= n) {
            throw new IllegalArgumentException("node " + id + " is not in 0.." + (n - 1));
        }
        this.self = id;
        this.successor = (id + 1) % n;
        this.predecessor = (id + n - 1) % n;
        boolean hasArc = false;
        for (int i = 0; i < overlay.degree(id) && !hasArc; i++) {
            hasArc = overlay.neighbour(id, i) == successor;
        }
        if (!hasArc) {
            throw new IllegalArgumentException("overlay '" + overlay.spec() + "' has no arc " + id + " -> " + successor
                    + ": the token ring needs a ring (ring, biring)");
        }
        this.stations = List.copyOf(stations);
    }

    @Override
    public void start(Env env) {
        this.env = env;
        if (self == ORIGIN) {
            long now = env.now();
            env.observe(new Observation.TokenCreated(self, epoch, now));
            holding = true;
            visited = true;
            prevVisitAtNanos = now;
            prevHop = 0;
            prevHeldNanos = 0;
            take(new Message.Token(epoch, 1, 0, now, now, 0, EMPTY), now);
        }
    }

    @Override
    public void onMessage(int from, Message m) {
        // Broadcasts (and client injects) and application messages are other protocols': ignored (Node#onMessage).
        if (m instanceof RingMessage rm) {
            switch (rm) {
                case Message.Token t -> onToken(from, t);
                // Failure detection and membership are HealingRing's; this fault-free ring ignores them.
                case Message.Heartbeat h -> {}
                case Message.HeartbeatAck a -> {}
                case Message.Membership ms -> {}
            }
        }
    }

    private void onToken(int from, Message.Token t) {
        long now = env.now();
        if (from != predecessor) {
            throw new IllegalStateException("node " + self + " got the token from " + from + ", not from its predecessor "
                    + predecessor);
        }
        if (t.epoch() != epoch) {
            throw new IllegalStateException("node " + self + " got a token of epoch " + t.epoch() + "; only epoch " + epoch
                    + " exists without regeneration");
        }
        if (holding) {
            throw new IllegalStateException("node " + self + " got a second token while holding one: " + t);
        }
        long expectedRotation = self == ORIGIN ? lastTick : lastTick + 1;
        if (t.rotation() != expectedRotation) {
            throw new IllegalStateException("node " + self + " expected rotation " + expectedRotation + " but the token says "
                    + t.rotation() + " (last tick " + lastTick + ")");
        }
        if (visited && t.hop() <= prevHop) {
            throw new IllegalStateException("node " + self + ": token hop count went from " + prevHop + " to " + t.hop());
        }
        holding = true;
        env.observe(new Observation.TokenArrived(self, from, t.epoch(), t.rotation(), t.hop(), t.sentAtNanos(), now));
        if (visited) {
            long intervalNanos = now - prevVisitAtNanos;
            long heldNanos = t.heldNanos() - prevHeldNanos;
            long hops = t.hop() - prevHop;
            env.observe(new Observation.RotationEstimate(self, epoch, intervalNanos, heldNanos, hops,
                    (intervalNanos - heldNanos) / hops));
            long sample = intervalNanos / hops;
            // Smoothed like TCP's round-trip estimate (Jacobson 1988, gain 1/8): one slow rotation on a real
            // host must not throw the next compensated tick off by its whole delay.
            stepNanos = stepNanos == 0 ? sample : stepNanos + (sample - stepNanos) / 8;
        }
        visited = true;
        prevVisitAtNanos = now;
        prevHop = t.hop();
        prevHeldNanos = t.heldNanos();

        Message.Token here = t;
        if (self == ORIGIN) {
            env.observe(new Observation.RotationCompleted(self, t.epoch(), t.rotation(), t.rotationStartedAtNanos(), now));
            here = new Message.Token(t.epoch(), t.rotation() + 1, t.hop(), now, t.sentAtNanos(), t.heldNanos(),
                    t.payload());
        }
        take(here, now);
    }

    /** The token is here (just arrived, or created): tick, run the stations, pass it on now or later. */
    private void take(Message.Token t, long arrivedAtNanos) {
        lastTick = t.rotation();
        env.observe(new Observation.Tick(self, lastTick, arrivedAtNanos));
        if (stepNanos > 0) {
            long tick = lastTick;
            // Links left until the token is back at node 0: n - self (node 0: a whole rotation).
            long toCommonInstantNanos = Math.multiplyExact((long) (n - self), stepNanos);
            env.schedule(toCommonInstantNanos, () -> env.observe(new Observation.CompensatedTick(self, tick, env.now())));
        }
        long holdNanos = 0;
        Message.Token seen = t;
        for (Station s : stations) {
            Station.Visit v = s.onToken(seen, env);
            holdNanos = Math.addExact(holdNanos, v.holdNanos());
            if (v.payload() != seen.payload()) {
                seen = new Message.Token(seen.epoch(), seen.rotation(), seen.hop(), seen.rotationStartedAtNanos(),
                        seen.sentAtNanos(), seen.heldNanos(), v.payload());
            }
        }
        Message.Token leaving = seen;
        if (holdNanos == 0) {
            pass(leaving, arrivedAtNanos);
        } else {
            env.schedule(holdNanos, () -> pass(leaving, arrivedAtNanos));
        }
    }

    private void pass(Message.Token t, long arrivedAtNanos) {
        long now = env.now();
        // The actual hold, not the requested one: a real timer fires late, and the estimate must subtract
        // what the token really spent here.
        long heldHereNanos = now - arrivedAtNanos;
        Message.Token out = new Message.Token(t.epoch(), t.rotation(), t.hop() + 1, t.rotationStartedAtNanos(), now,
                t.heldNanos() + heldHereNanos, t.payload());
        holding = false;
        env.observe(new Observation.TokenPassed(self, successor, t.epoch(), t.rotation(), t.hop(), arrivedAtNanos, now));
        env.send(successor, out);
    }
}
