package dev.ringlab.experiments.watch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Observation;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What the live page shows, aggregated from a running cluster's {@link Observation}s and counters: the
 * page is sent snapshots of this state, never the raw stream, so its cost does not grow with the message
 * rate.
 *
 * <h2>Bounded memory</h2>
 * Everything here is O(n) or a fixed number of entries, whatever the rate: per node its state, who suspects
 * it (a bit set), its successor; the token of at most {@link #EPOCHS} recent epochs; the last
 * {@link #WAVES} broadcasts (each at most n deliveries, in delivery order), older ones are forgotten as new
 * ones start (at 1,000 broadcasts/s the page sees a sample: the waves alive when a snapshot is taken); a
 * log of the last {@link #LOG} control actions. Counters are totals; rates are taken between two
 * {@link #counters} calls.
 *
 * <h2>Threads</h2>
 * {@link #accept} runs on whatever thread an engine delivers observations on (the simulator: the control
 * thread; netty: the nodes' event loops), {@link #counters} on the control thread, {@link #snapshot} on the
 * server's: all of them synchronise on this object, and each holds the lock for O(1) work (O(n + waves·n)
 * for a snapshot, about ten times a second).
 */
public final class LiveState implements Consumer<Observation> {
    static final int EPOCHS = 2;
    static final int WAVES = 6;
    static final int LOG = 40;
    /** A token epoch that has not moved for this long is not drawn next to a moving one. */
    static final long STALE_NANOS = 500_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int n;
    private final boolean[] alive;
    private final boolean[] respawning;
    private final BitSet[] suspectedBy;
    private final int[] successor;
    private final LinkedHashMap<Long, long[]> tokens = new LinkedHashMap<>(); // epoch -> {node, from, atNanos, rotation}
    private final LinkedHashMap<Long, Wave> waves = new LinkedHashMap<>();
    private final ArrayDeque<String> log = new ArrayDeque<>();
    private long tick = -1;
    private long deliveries;
    private long tokenHops;
    private long broadcastsSeen;
    private long observations;
    private ClusterStats stats = ClusterStats.empty();
    private double msgsPerS;
    private double bytesPerS;
    private long statsAtNanos = -1;
    private long nowNanos;
    private String replayLine = "";
    private String play = "";

    /** One broadcast: who delivered it, in order, and at which hop. */
    private static final class Wave {
        final int origin;
        final int[] order;
        final int[] hop;
        int count;

        Wave(int origin, int n) {
            this.origin = origin;
            this.order = new int[n];
            this.hop = new int[n];
        }
    }

    public LiveState(int n) {
        this.n = n;
        alive = new boolean[n];
        java.util.Arrays.fill(alive, true);
        respawning = new boolean[n];
        suspectedBy = new BitSet[n];
        for (int v = 0; v < n; v++) {
            suspectedBy[v] = new BitSet();
        }
        successor = new int[n];
        java.util.Arrays.fill(successor, -1);
    }

    @Override
    public synchronized void accept(Observation o) {
        observations++;
        int v = o.node();
        if (v >= 0 && v < n) {
            respawning[v] = false; // the new incarnation speaks: it is back
        }
        switch (o) {
            case Observation.Delivered d -> {
                deliveries++;
                Wave w = waves.get(d.id());
                if (w == null) {
                    broadcastsSeen++;
                    w = new Wave(d.origin(), n);
                    waves.put(d.id(), w);
                    if (waves.size() > WAVES) {
                        Iterator<Long> it = waves.keySet().iterator();
                        it.next();
                        it.remove();
                    }
                }
                if (w.count < n) {
                    w.order[w.count] = d.node();
                    w.hop[w.count] = d.hop();
                    w.count++;
                }
            }
            case Observation.TokenCreated t -> token(t.epoch(), t.node(), -1, t.atNanos(), 0);
            case Observation.TokenArrived t -> {
                tokenHops++;
                token(t.epoch(), t.node(), t.from(), t.arrivedAtNanos(), t.rotation());
            }
            case Observation.TokenPassed t -> {
                if (t.to() >= 0 && t.to() < n) {
                    successor[t.node()] = t.to();
                }
            }
            case Observation.Tick t -> tick = Math.max(tick, t.tick());
            case Observation.Suspected s -> {
                if (s.suspect() >= 0 && s.suspect() < n) {
                    suspectedBy[s.suspect()].set(s.node());
                }
            }
            case Observation.Unsuspected s -> {
                if (s.suspect() >= 0 && s.suspect() < n) {
                    suspectedBy[s.suspect()].clear(s.node());
                }
            }
            case Observation.SuccessorChanged s -> successor[s.node()] = s.successor();
            case Observation.NodeExited e -> alive[e.node()] = false;
            case Observation.RotationCompleted r -> { }
            case Observation.RotationEstimate r -> { }
            case Observation.TokenDropped t -> { }
            case Observation.ViewChanged c -> { }
            case Observation.DeltaApplied d -> { }
            case Observation.DeltaAcked d -> { }
            case Observation.StateHash h -> { }
            case Observation.AppTraffic t -> { }
            case Observation.CacheReply c -> { }
            case Observation.CacheAck c -> { }
            case Observation.CacheFailed c -> { }
            case Observation.CacheRecovered c -> { }
            case Observation.DeltaAck d -> { }
            case Observation.DeltaRead d -> { }
            case Observation.DeltaStorage d -> { }
            case Observation.CompensatedTick c -> { }
            case Observation.ControlSent c -> { }
            case Observation.Custom c -> { } // a protocol's own observation: watch draws none of them
        }
    }

    private void token(long epoch, int node, int from, long at, long rotation) {
        long[] t = tokens.remove(epoch); // re-inserted last: the map is in order of last movement
        if (t == null) {
            t = new long[4];
        }
        t[0] = node;
        t[1] = from;
        t[2] = at;
        t[3] = rotation;
        tokens.put(epoch, t);
        while (tokens.size() > EPOCHS) {
            Iterator<Long> it = tokens.keySet().iterator();
            it.next();
            it.remove();
        }
    }

    /** The control thread's view of liveness and counters, taken between two slices of the run. */
    public synchronized void counters(long nowNanos, boolean[] aliveNow, ClusterStats s) {
        this.nowNanos = nowNanos;
        for (int v = 0; v < n; v++) {
            if (aliveNow[v] && !alive[v]) {
                suspectedBy[v].clear();
            }
            alive[v] = aliveNow[v];
            if (!alive[v]) {
                respawning[v] = false;
            }
        }
        if (statsAtNanos >= 0 && nowNanos > statsAtNanos) {
            double dt = (nowNanos - statsAtNanos) / 1e9;
            msgsPerS = (s.messagesSent() - stats.messagesSent()) / dt;
            bytesPerS = (s.bytesSent() - stats.bytesSent()) / dt;
        }
        if (statsAtNanos < 0 || nowNanos - statsAtNanos >= 250_000_000L) {
            stats = s;
            statsAtNanos = nowNanos;
        }
    }

    /** A restart was asked for {@code node}: respawning until the node's first observation. */
    public synchronized void respawning(int node) {
        respawning[node] = true;
    }

    /** Appends a control action to the page's log and sets the run's current replay line. */
    public synchronized void logged(String line, String replay) {
        log.addLast(line);
        while (log.size() > LOG) {
            log.removeFirst();
        }
        if (replay != null) {
            replayLine = replay;
        }
    }

    /** The simulator's play state for the page ("paused", "1x", ...), empty on real engines. */
    public synchronized void play(String state) {
        play = state;
    }

    /** Deliveries seen so far (tests wait on it). */
    public synchronized long deliveries() {
        return deliveries;
    }

    /** Token arrivals seen so far. */
    public synchronized long tokenHops() {
        return tokenHops;
    }

    /** True if every live node's successor is alive (ring protocols: the ring is whole). */
    synchronized boolean ringWhole() {
        boolean any = false;
        for (int v = 0; v < n; v++) {
            if (alive[v]) {
                if (successor[v] < 0) {
                    return false;
                }
                any = true;
                if (!alive[successor[v]]) {
                    return false;
                }
            }
        }
        return any;
    }

    /** One JSON document: the whole state the page draws. */
    public synchronized String snapshot() {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", "state");
        o.put("now_ms", nowNanos / 1e6);
        o.put("play", play);
        ArrayNode nodes = o.putArray("nodes");
        for (int v = 0; v < n; v++) {
            ObjectNode x = nodes.addObject();
            String s = !alive[v] ? "dead" : respawning[v] ? "respawning" : suspectedBy[v].isEmpty() ? "alive" : "suspected";
            x.put("s", s);
            x.put("succ", successor[v]);
            if (!suspectedBy[v].isEmpty()) {
                ArrayNode by = x.putArray("by");
                suspectedBy[v].stream().forEach(by::add);
            }
        }
        ArrayNode tk = o.putArray("tokens");
        tokens.forEach((epoch, t) -> {
            if (nowNanos - t[2] > STALE_NANOS && tokens.size() > 1) {
                return; // an epoch that no longer moves (superseded or lost) is not a second token
            }
            ObjectNode x = tk.addObject();
            x.put("epoch", epoch);
            x.put("node", t[0]);
            x.put("from", t[1]);
            x.put("rotation", t[3]);
        });
        o.put("tick", tick);
        o.put("ring_whole", ringWhole());
        ArrayNode ws = o.putArray("waves");
        waves.forEach((id, w) -> {
            ObjectNode x = ws.addObject();
            x.put("id", id);
            x.put("origin", w.origin);
            ArrayNode ord = x.putArray("order");
            int last = 0;
            for (int i = 0; i < w.count; i++) {
                ord.add(w.order[i]);
                last = Math.max(last, w.hop[i]);
            }
            x.put("last_hop", last);
        });
        ObjectNode c = o.putObject("counters");
        c.put("msgs_per_s", Math.round(msgsPerS));
        c.put("bytes_per_s", Math.round(bytesPerS));
        c.put("messages_sent", stats.messagesSent());
        c.put("deliveries", deliveries);
        c.put("broadcasts_seen", broadcastsSeen);
        c.put("token_hops", tokenHops);
        c.put("observations", observations);
        ObjectNode drops = c.putObject("drops");
        new TreeMap<>(stats.drops()).forEach(drops::put);
        ArrayNode l = o.putArray("log");
        log.forEach(l::add);
        o.put("replay", replayLine);
        return o.toString();
    }

    /** For tests: the state of {@code node} as the page shows it. */
    synchronized String state(int node) {
        return !alive[node] ? "dead" : respawning[node] ? "respawning" : suspectedBy[node].isEmpty() ? "alive" : "suspected";
    }
}
