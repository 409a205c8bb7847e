package dev.ringlab.experiments.watch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Env;
import dev.ringlab.node.ForwardingEnv;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The events of one seeded simulation, recorded for step-through replay: every message sent and received
 * (matched send to receive), every injection, delivery, token move, suspicion and successor change, and
 * the faults; then any event's state, reached forward or back in bounded time.
 *
 * <h2>How it records</h2>
 * {@link #wrap} wraps the run's protocol: each node's {@link Env} is a {@link ForwardingEnv} that records
 * sends and observations before passing them on, and each node records what it receives before handling it.
 * Recording draws no randomness and changes no message, so the run and its trace hash are the run's own
 * (a replay of a compare run.json checks the hash). It needs the simulator's one thread and its message
 * passing by reference: a receive is matched to its send by message identity and (sender, receiver), first
 * in first out. Faults are not seen by nodes: the caller reports them ({@link #fault}), or gives them ahead as
 * markers ({@link #mark}) that are recorded before the first event at or after their time. A crashed node
 * is back at its next {@code start} event. Recording stops at {@link #MAX_EVENTS} (said in the frames).
 *
 * <h2>Stepping</h2>
 * The state after event i (node liveness, suspicions, successors, the token of the last two epochs, the
 * latest broadcast wave) is a keyframe taken every {@code K} events plus at most {@code K - 1} events
 * applied on top: {@code K} is 64, or more for runs whose keyframes would hold over about 4 M node entries,
 * so stepping to any event costs O(K + n) whatever the direction. A frame also carries the window of events
 * around i for the space-time diagram.
 */
public final class Recording {
    static final int MAX_EVENTS = 2_000_000;
    static final int BEFORE = 120;
    static final int AFTER = 40;

    static final byte SEND = 0, RECV = 1, INJECT = 2, DELIVER = 3, TOKEN = 4, SUSPECT = 5, UNSUSPECT = 6, SUCC = 7,
            CRASH = 8, START = 9, PARTITION = 10, HEAL = 11, TOKEN_CREATED = 12, PASS = 13;
    private static final String[] KIND = {"send", "recv", "inject", "deliver", "token", "suspect", "unsuspect", "succ",
        "crash", "start", "partition", "heal", "token_created", "pass"};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int n;
    private byte[] kind = new byte[1024];
    private long[] time = new long[1024];
    private int[] node = new int[1024];
    private int[] peer = new int[1024];
    private long[] a = new long[1024];
    private long[] b = new long[1024];
    private int[] link = new int[1024];
    private int size;
    private boolean truncated;
    private final List<String> types = new ArrayList<>();
    private final Map<Class<?>, Integer> typeIds = new HashMap<>();
    /**
     * Sends not yet received, by (message instance, sender, receiver): one instance may be in flight on many
     * links at once (a node sends one message to all its peers, and {@link Message.Broadcast#forwarded()}
     * gives every forwarder of one hop the same instance), so the instance alone would make a receipt search
     * a list as long as the hop.
     */
    private final HashMap<InFlight, ArrayDeque<Integer>> inFlight = new HashMap<>();

    /** A key of {@link #inFlight}: the message by identity, and the link. */
    private record InFlight(Message m, int from, int to) {
        @Override
        public boolean equals(Object o) {
            return o instanceof InFlight k && k.m == m && k.from == from && k.to == to;
        }

        @Override
        public int hashCode() {
            return (System.identityHashCode(m) * 31 + from) * 31 + to;
        }
    }
    private final ArrayDeque<long[]> markers = new ArrayDeque<>(); // {time, kind, node}, time order
    private int violationIndex = -1;
    private String violationText;
    private int every;
    private State[] keyframes;

    public Recording(int n) {
        this.n = n;
    }

    public int size() {
        return size;
    }

    public int nodes() {
        return n;
    }

    /** Event {@code i}'s kind ("send", "recv", ...), node, peer, and linked event (-1: none); for tests. */
    String kindOf(int i) {
        return KIND[kind[i]];
    }

    int nodeOf(int i) {
        return node[i];
    }

    int peerOf(int i) {
        return peer[i];
    }

    int linkOf(int i) {
        return link[i];
    }

    /** {@code p} with every node recording into this. */
    public Protocol wrap(Protocol p) {
        return new Protocol() {
            @Override
            public String spec() {
                return p.spec();
            }

            @Override
            public Node create(int id, Overlay overlay) {
                return new Recorded(p.create(id, overlay), id);
            }

            @Override
            public void checkOverlay(Overlay overlay) {
                p.checkOverlay(overlay);
            }
        };
    }

    private final class Recorded implements Node {
        private final Node inner;
        private final int id;
        private Env env;

        Recorded(Node inner, int id) {
            this.inner = inner;
            this.id = id;
        }

        @Override
        public void start(Env e) {
            this.env = e;
            add(START, e.now(), id, -1, 0, 0);
            inner.start(new ForwardingEnv(e) {
                @Override
                public void send(int to, Message m) {
                    int i = add(SEND, now(), id, to, type(m), 0);
                    if (i >= 0) {
                        inFlight.computeIfAbsent(new InFlight(m, id, to), k -> new ArrayDeque<>()).addLast(i);
                    }
                    super.send(to, m);
                }

                @Override
                public void observe(Observation o) {
                    observed(o);
                    super.observe(o);
                }
            });
        }

        @Override
        public void onMessage(int from, Message m) {
            if (from == Env.CLIENT) {
                add(INJECT, env.now(), id, -1, m instanceof Message.Inject in ? in.id() : -1, 0);
            } else {
                int i = add(RECV, env.now(), id, from, type(m), 0);
                InFlight key = new InFlight(m, from, id);
                ArrayDeque<Integer> q = inFlight.get(key);
                if (i >= 0 && q != null) {
                    int s = q.removeFirst();
                    link[i] = s;
                    link[s] = i;
                    if (q.isEmpty()) {
                        inFlight.remove(key);
                    }
                }
            }
            inner.onMessage(from, m);
        }

        @Override
        public void stop() {
            inner.stop();
        }
    }

    private long type(Message m) {
        return typeIds.computeIfAbsent(m.getClass(), c -> {
            types.add(c.getSimpleName());
            return types.size() - 1;
        });
    }

    private void observed(Observation o) {
        switch (o) {
            case Observation.Delivered d -> add(DELIVER, d.atNanos(), d.node(), d.origin(), d.id(), d.hop());
            case Observation.TokenArrived t -> add(TOKEN, t.arrivedAtNanos(), t.node(), t.from(), t.epoch(), t.rotation());
            case Observation.TokenCreated t -> add(TOKEN_CREATED, t.atNanos(), t.node(), -1, t.epoch(), 0);
            case Observation.TokenPassed t -> add(PASS, t.departedAtNanos(), t.node(), t.to(), t.epoch(), t.rotation());
            case Observation.Suspected s -> add(SUSPECT, s.atNanos(), s.node(), s.suspect(), 0, 0);
            case Observation.Unsuspected s -> add(UNSUSPECT, s.atNanos(), s.node(), s.suspect(), 0, 0);
            case Observation.SuccessorChanged s -> add(SUCC, s.atNanos(), s.node(), s.successor(), 0, 0);
            default -> { } // not drawn (ticks, estimates, application state): the events above tell the story
        }
    }

    /** A fault the caller applied now ({@code node} -1 for a partition or heal). */
    public void fault(FaultPlan.Kind k, int v, long atNanos) {
        switch (k) {
            case CRASH -> add(CRASH, atNanos, v, -1, 0, 0);
            case PARTITION -> add(PARTITION, atNanos, -1, -1, 0, 0);
            case HEAL -> add(HEAL, atNanos, -1, -1, 0, 0);
            case RESTART, SLOW, LOSS -> { } // a restart shows as the node's start; slow and loss are not drawn
        }
    }

    /** Faults of {@code plan} (times from {@code originNanos}) as markers, for runs whose fault calls cannot be heard. */
    public void mark(FaultPlan plan, long originNanos) {
        List<long[]> all = new ArrayList<>();
        for (FaultPlan.Fault f : plan.faults()) {
            switch (f.kind()) {
                case CRASH -> all.add(new long[] {originNanos + f.atNanos(), CRASH, f.node()});
                case PARTITION -> {
                    all.add(new long[] {originNanos + f.atNanos(), PARTITION, -1});
                    if (f.isRange()) {
                        all.add(new long[] {originNanos + f.untilNanos(), HEAL, -1});
                    }
                }
                case HEAL -> all.add(new long[] {originNanos + f.atNanos(), HEAL, -1});
                case RESTART, SLOW, LOSS -> { }
            }
        }
        all.addAll(markers);
        all.sort((x, y) -> Long.compare(x[0], y[0]));
        markers.clear();
        markers.addAll(all);
    }

    /** One marker at {@code atNanos} (e.g. the heal of a check run). */
    public void mark(byte k, int v, long atNanos) {
        List<long[]> all = new ArrayList<>(markers);
        all.add(new long[] {atNanos, k, v});
        all.sort((x, y) -> Long.compare(x[0], y[0]));
        markers.clear();
        markers.addAll(all);
    }

    private int add(byte k, long t, int v, int p, long x, long y) {
        while (!markers.isEmpty() && markers.peekFirst()[0] <= t) {
            long[] m = markers.pollFirst();
            append((byte) m[1], m[0], (int) m[2], -1, 0, 0);
        }
        return append(k, t, v, p, x, y);
    }

    private int append(byte k, long t, int v, int p, long x, long y) {
        if (size == MAX_EVENTS) {
            truncated = true;
            return -1;
        }
        if (size == kind.length) {
            int c = Math.min(MAX_EVENTS, size * 2);
            kind = Arrays.copyOf(kind, c);
            time = Arrays.copyOf(time, c);
            node = Arrays.copyOf(node, c);
            peer = Arrays.copyOf(peer, c);
            a = Arrays.copyOf(a, c);
            b = Arrays.copyOf(b, c);
            link = Arrays.copyOf(link, c);
        }
        kind[size] = k;
        time[size] = t;
        node[size] = v;
        peer[size] = p;
        a[size] = x;
        b[size] = y;
        link[size] = -1;
        return size++;
    }

    /**
     * Ends the recording: the last event is where the run stopped; with a {@code violation} (a check run that
     * failed) that event is marked as the violation's. Builds the keyframes.
     */
    public void finish(String violation) {
        if (size == 0) {
            append(HEAL, 0, -1, -1, 0, 0); // an empty run still has one frame to show
        }
        if (violation != null) {
            violationIndex = size - 1;
            violationText = violation;
        }
        every = (int) Math.max(64, (long) size * (n + 8) / 4_000_000L + 1);
        keyframes = new State[(size + every - 1) / every];
        State s = new State(n);
        for (int i = 0; i < size; i++) {
            if (i % every == 0) {
                keyframes[i / every] = s.copy();
            }
            s.apply(this, i);
        }
    }

    public int violationIndex() {
        return violationIndex;
    }

    /** The state the page draws after events 0..i. */
    State stateAt(int i) {
        State s = keyframes[i / every].copy();
        for (int j = i / every * every; j <= i; j++) {
            s.apply(this, j);
        }
        return s;
    }

    /** The replay's fixed facts for the page. */
    public String hello(Overlay overlay, String engine, String protocol, long seed, String source) {
        try {
            ObjectNode o = (ObjectNode) JSON.readTree(WatchCommand.hello(overlay, "replay", engine, true, protocol, seed));
            o.put("total", size);
            o.put("source", source);
            o.put("truncated", truncated);
            o.put("violation_index", violationIndex);
            return o.toString();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Frame {@code i} as JSON: the state after event i, the event, the window of events around it, the violation. */
    public String frame(int i) {
        long began = System.nanoTime();
        if (i < 0 || i >= size) {
            throw new IllegalArgumentException("event must be in 0.." + (size - 1) + ", got " + i);
        }
        State s = stateAt(i);
        ObjectNode o = JSON.createObjectNode();
        o.put("type", "frame");
        o.put("i", i);
        o.put("total", size);
        o.put("now_ms", time[i] / 1e6);
        ObjectNode ev = o.putObject("event");
        ev.put("kind", KIND[kind[i]]);
        ev.put("node", node[i]);
        ev.put("peer", peer[i]);
        ev.put("text", describe(i) + (truncated && i == size - 1 ? " (recording stopped at " + MAX_EVENTS + " events)" : ""));
        s.toJson(o, time[i]);
        if (violationIndex >= 0) {
            ObjectNode v = o.putObject("violation");
            v.put("index", violationIndex);
            v.put("text", violationText);
        }
        int from = Math.max(0, i - BEFORE);
        int to = Math.min(size - 1, i + AFTER);
        ObjectNode w = o.putObject("window");
        w.put("from", from);
        w.put("to", to);
        ArrayNode evs = w.putArray("events");
        for (int j = from; j <= to; j++) {
            ObjectNode e = evs.addObject();
            e.put("i", j);
            e.put("k", KIND[kind[j]]);
            e.put("node", node[j]);
            e.put("peer", peer[j]);
            e.put("link", link[j]);
        }
        o.put("server_ms", (System.nanoTime() - began) / 1e6);
        return o.toString();
    }

    String describe(int i) {
        int v = node[i];
        int p = peer[i];
        return switch (kind[i]) {
            case SEND -> "node " + v + " sends " + types.get((int) a[i]) + " to " + p + (link[i] < 0 ? " (never received)" : " (received at event " + link[i] + ")");
            case RECV -> "node " + v + " receives " + types.get((int) a[i]) + " from " + p + (link[i] >= 0 ? " (sent at event " + link[i] + ")" : "");
            case INJECT -> "client injects broadcast " + a[i] + " at node " + v;
            case DELIVER -> "node " + v + " delivers broadcast " + a[i] + " from " + p + " after " + b[i] + " hops";
            case TOKEN -> "token of epoch " + a[i] + " reaches node " + v + " from " + p + " (rotation " + b[i] + ")";
            case TOKEN_CREATED -> "node " + v + " creates the token of epoch " + a[i];
            case PASS -> "node " + v + " passes the token of epoch " + a[i] + " to " + p;
            case SUSPECT -> "node " + v + " suspects " + p;
            case UNSUSPECT -> "node " + v + " no longer suspects " + p;
            case SUCC -> "node " + v + " now passes the token to " + p;
            case CRASH -> "node " + v + " crashes";
            case START -> "node " + v + " starts";
            case PARTITION -> "partition";
            case HEAL -> "heal";
            default -> "event " + kind[i];
        };
    }

    /** The state after some events; small and copied at keyframes. */
    static final class State {
        final boolean[] alive;
        final int[] successor;
        final BitSet[] suspectedBy;
        final LinkedHashMap<Long, long[]> tokens = new LinkedHashMap<>(); // epoch -> {node, from}
        long waveId = -1;
        int waveOrigin = -1;
        int[] wave;
        int waveCount;
        int waveLastHop;
        boolean partitioned;

        State(int n) {
            alive = new boolean[n];
            successor = new int[n];
            Arrays.fill(successor, -1);
            suspectedBy = new BitSet[n];
            for (int v = 0; v < n; v++) {
                suspectedBy[v] = new BitSet();
            }
            wave = new int[n];
        }

        State copy() {
            State c = new State(alive.length);
            System.arraycopy(alive, 0, c.alive, 0, alive.length);
            System.arraycopy(successor, 0, c.successor, 0, successor.length);
            for (int v = 0; v < alive.length; v++) {
                if (!suspectedBy[v].isEmpty()) {
                    c.suspectedBy[v] = (BitSet) suspectedBy[v].clone();
                }
            }
            tokens.forEach((e, t) -> c.tokens.put(e, t.clone()));
            c.waveId = waveId;
            c.waveOrigin = waveOrigin;
            System.arraycopy(wave, 0, c.wave, 0, waveCount);
            c.waveCount = waveCount;
            c.waveLastHop = waveLastHop;
            c.partitioned = partitioned;
            return c;
        }

        void apply(Recording r, int i) {
            int v = r.node[i];
            int p = r.peer[i];
            switch (r.kind[i]) {
                case START -> {
                    alive[v] = true;
                    successor[v] = -1;
                }
                case CRASH -> alive[v] = false;
                case SUSPECT -> {
                    if (p >= 0 && p < alive.length) {
                        suspectedBy[p].set(v);
                    }
                }
                case UNSUSPECT -> {
                    if (p >= 0 && p < alive.length) {
                        suspectedBy[p].clear(v);
                    }
                }
                case SUCC, PASS -> {
                    if (p < alive.length) {
                        successor[v] = p;
                    }
                }
                case TOKEN, TOKEN_CREATED -> {
                    long epoch = r.a[i];
                    tokens.remove(epoch);
                    tokens.put(epoch, new long[] {v, p, r.time[i]});
                    while (tokens.size() > 2) {
                        Iterator<Long> it = tokens.keySet().iterator();
                        it.next();
                        it.remove();
                    }
                }
                case INJECT, DELIVER -> {
                    long id = r.a[i];
                    if (id != waveId) {
                        waveId = id;
                        waveOrigin = r.kind[i] == INJECT ? v : p;
                        waveCount = 0;
                        waveLastHop = 0;
                    }
                    if (r.kind[i] == DELIVER && waveCount < wave.length) {
                        wave[waveCount++] = v;
                        waveLastHop = (int) Math.max(waveLastHop, r.b[i]);
                    }
                }
                case PARTITION -> partitioned = true;
                case HEAL -> partitioned = false;
                default -> { } // sends and receives change no drawn state
            }
        }

        void toJson(ObjectNode o, long nowNanos) {
            ArrayNode nodes = o.putArray("nodes");
            boolean whole = false;
            boolean broken = false;
            for (int v = 0; v < alive.length; v++) {
                ObjectNode x = nodes.addObject();
                x.put("s", !alive[v] ? "dead" : suspectedBy[v].isEmpty() ? "alive" : "suspected");
                x.put("succ", successor[v]);
                if (!suspectedBy[v].isEmpty()) {
                    ArrayNode by = x.putArray("by");
                    suspectedBy[v].stream().forEach(by::add);
                }
                if (alive[v]) {
                    if (successor[v] < 0 || !alive[successor[v]]) {
                        broken = true;
                    } else {
                        whole = true;
                    }
                }
            }
            o.put("ring_whole", whole && !broken);
            o.put("partitioned", partitioned);
            ArrayNode tk = o.putArray("tokens");
            tokens.forEach((e, t) -> {
                if (tokens.size() > 1 && nowNanos - t[2] > LiveState.STALE_NANOS) {
                    return; // superseded or lost: not a second token
                }
                ObjectNode x = tk.addObject();
                x.put("epoch", e);
                x.put("node", t[0]);
                x.put("from", t[1]);
            });
            ArrayNode ws = o.putArray("waves");
            if (waveId >= 0) {
                ObjectNode w = ws.addObject();
                w.put("id", waveId);
                w.put("origin", waveOrigin);
                ArrayNode ord = w.putArray("order");
                for (int k = 0; k < waveCount; k++) {
                    ord.add(wave[k]);
                }
                w.put("last_hop", waveLastHop);
            }
        }
    }
}
