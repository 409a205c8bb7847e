package dev.ringlab.node;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Everything nodes say to each other (and clients to nodes), as immutable records. The set is open: each
 * protocol family has its own sealed sub-interface ({@link BroadcastMessage}, {@link RingMessage},
 * {@link ReplicaMessage}, {@link CacheMessage}, or a researcher's own) over which its handlers dispatch with
 * an exhaustive {@code switch}, ignoring messages of other families ({@link Node#onMessage}). Each message
 * names its {@link MessageType}, the one binary encoding of its kind, which {@link MessageCodec} uses on the
 * wire and the simulator to count bytes. ringlab's own records are nested here.
 */
public interface Message {
    /**
     * This message's wire type. Every instance of a class returns the same constant (a {@code static final}
     * field): the simulator calls it on every send, so it must neither allocate nor compute.
     */
    MessageType<?> type();

    /**
     * A client asks the receiving node to originate broadcast {@code id} carrying {@code payload}. Sent by
     * an engine or a client as {@link Env#CLIENT}; never between nodes.
     */
    record Inject(long id, byte[] payload) implements BroadcastMessage {
        public Inject {
            Objects.requireNonNull(payload, "payload");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Inject i && i.id == id && Arrays.equals(i.payload, payload);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(id) * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Inject[id=" + id + ", payload=" + payload.length + "B]";
        }

        @Override
        public MessageType<Inject> type() {
            return BroadcastMessage.INJECT;
        }
    }

    /**
     * One broadcast on its way: {@code id} names it fleet-wide, {@code origin} is the node that injected
     * it at {@code sentAtNanos} (origin's clock, shared by all nodes: see {@link Env#now}), {@code hop} is
     * the number of links it has crossed when it arrives at the receiver.
     */
    record Broadcast(long id, int origin, long sentAtNanos, int hop, byte[] payload) implements BroadcastMessage {
        public Broadcast {
            Objects.requireNonNull(payload, "payload");
        }

        /**
         * The same broadcast one link further. Messages are immutable, so every node that forwards this very
         * instance can send the same next one: the last few are remembered per thread (by hop), and in a
         * simulated flood all the copies of one hop are then one object instead of one per sender (a million
         * fewer allocations in a 10^6-node flood, and the receivers read a cached message). Equal by value
         * either way; an instance decoded from the wire is never seen twice, so there it only allocates.
         */
        public Broadcast forwarded() {
            Broadcast[] memo = FORWARDED.get();
            int k = (hop & (FORWARD_MEMO - 1)) << 1;
            if (memo[k] == this) {
                return memo[k + 1];
            }
            Broadcast next = new Broadcast(id, origin, sentAtNanos, hop + 1, payload);
            memo[k] = this;
            memo[k + 1] = next;
            return next;
        }

        private static final int FORWARD_MEMO = 16;
        /** Per thread, per hop modulo {@link #FORWARD_MEMO}: a broadcast and what {@link #forwarded()} gave. */
        private static final ThreadLocal<Broadcast[]> FORWARDED =
                ThreadLocal.withInitial(() -> new Broadcast[2 * FORWARD_MEMO]);

        @Override
        public boolean equals(Object o) {
            return o instanceof Broadcast b && b.id == id && b.origin == origin && b.sentAtNanos == sentAtNanos
                    && b.hop == hop && Arrays.equals(b.payload, payload);
        }

        @Override
        public int hashCode() {
            return Objects.hash(id, origin, sentAtNanos, hop) * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Broadcast[id=" + id + ", origin=" + origin + ", sentAtNanos=" + sentAtNanos + ", hop=" + hop
                    + ", payload=" + payload.length + "B]";
        }

        @Override
        public MessageType<Broadcast> type() {
            return BroadcastMessage.BROADCAST;
        }
    }

    /** Several broadcasts in one message (the {@code batched} protocol): one frame, one send. */
    record Batch(List<Broadcast> items) implements BroadcastMessage {
        public Batch {
            items = List.copyOf(items);
            if (items.isEmpty()) {
                throw new IllegalArgumentException("a batch holds at least one broadcast");
            }
        }

        @Override
        public MessageType<Batch> type() {
            return BroadcastMessage.BATCH;
        }
    }

    /**
     * The ring's particle (see {@code protocols.TokenRing}): one token circles the ring, each node passing it
     * to its successor.
     *
     * <p>What it carries, and why only this: a token that carried the departure time at every node would
     * grow to O(n) bytes and cost O(n) per hop. Instead it carries the departure time at the previous node
     * ({@code sentAtNanos}, so the receiver measures the hop it just crossed), the instant the current
     * rotation started at node 0 ({@code rotationStartedAtNanos}, so node 0 measures the rotation period
     * alone), and two running totals since the token was created, {@code hop} (links crossed) and
     * {@code heldNanos} (time spent held by stations): a node that keeps the values it saw at its previous
     * visit gets, from differences, the hops and the hold time inside one full cycle, and hence the
     * rotation-derived hop latency, with no other message. The token is O(1) bytes plus its payload.
     *
     * @param epoch                  incarnation of the token: a regenerated token gets a higher epoch (0 for
     *                               the first token), so a stale one can be recognised and dropped
     * @param rotation               rotation number, from 1; node 0 increments it when the token returns;
     *                               it is also the tick number every node counts
     * @param hop                    links crossed since the token was created, when it reaches the receiver
     * @param rotationStartedAtNanos when node 0 took the token at the start of this rotation
     * @param sentAtNanos            when the sender let the token go ({@link Env#now}, a clock shared by the
     *                               nodes)
     * @param heldNanos              total time stations have held the token since it was created
     * @param payload                bytes that stations may read and replace (the config bus rides here)
     */
    record Token(long epoch, long rotation, long hop, long rotationStartedAtNanos, long sentAtNanos, long heldNanos,
            byte[] payload) implements RingMessage {
        public Token {
            Objects.requireNonNull(payload, "payload");
            if (epoch < 0 || rotation < 1 || hop < 0 || heldNanos < 0) {
                throw new IllegalArgumentException("bad token: epoch=" + epoch + " rotation=" + rotation + " hop=" + hop
                        + " heldNanos=" + heldNanos + " (need epoch >= 0, rotation >= 1, hop >= 0, heldNanos >= 0)");
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Token t && t.epoch == epoch && t.rotation == rotation && t.hop == hop
                    && t.rotationStartedAtNanos == rotationStartedAtNanos && t.sentAtNanos == sentAtNanos
                    && t.heldNanos == heldNanos && Arrays.equals(t.payload, payload);
        }

        @Override
        public int hashCode() {
            return Objects.hash(epoch, rotation, hop, rotationStartedAtNanos, sentAtNanos, heldNanos) * 31
                    + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Token[epoch=" + epoch + ", rotation=" + rotation + ", hop=" + hop + ", rotationStartedAtNanos="
                    + rotationStartedAtNanos + ", sentAtNanos=" + sentAtNanos + ", heldNanos=" + heldNanos
                    + ", payload=" + payload.length + "B]";
        }

        @Override
        public MessageType<Token> type() {
            return RingMessage.TOKEN;
        }
    }

    /**
     * A heartbeat from a node to one of the successors it monitors ({@code protocols.HealingRing}); the
     * receiver answers with a {@link HeartbeatAck} echoing {@code seq} and {@code sentAtNanos}. A node also
     * sends heartbeats to its predecessors when it (re)starts, so they learn at once that it is back.
     *
     * @param seq         the sender's heartbeat round
     * @param sentAtNanos when it was sent ({@link Env#now})
     * @param maxEpoch    the highest token epoch the sender has seen, -1 if none
     * @param viewDigest  digest of the sender's membership view: a mismatch triggers a {@link Membership} sync
     * @param successor   the node the sender passes the token to now (-1: none), so a node knows whether the
     *                    ring reaches it
     */
    record Heartbeat(long seq, long sentAtNanos, long maxEpoch, long viewDigest, int successor) implements RingMessage {
        public Heartbeat {
            if (maxEpoch < -1 || successor < -1) {
                throw new IllegalArgumentException("bad heartbeat: maxEpoch=" + maxEpoch + " successor=" + successor
                        + " (need >= -1)");
            }
        }

        @Override
        public MessageType<Heartbeat> type() {
            return RingMessage.HEARTBEAT;
        }
    }

    /**
     * The answer to a {@link Heartbeat}: {@code seq} and {@code sentAtNanos} echoed, the answerer's own epoch and
     * digest, and {@code tokenSeenAtNanos}, when the answerer last took a token ({@link Env#now}; the clock is
     * shared), so its predecessor knows whether a token it passed got there.
     */
    record HeartbeatAck(long seq, long echoSentAtNanos, long maxEpoch, long viewDigest, long tokenSeenAtNanos)
            implements RingMessage {
        public HeartbeatAck {
            if (maxEpoch < -1) {
                throw new IllegalArgumentException("bad heartbeat ack: maxEpoch=" + maxEpoch + " (need >= -1)");
            }
        }

        @Override
        public MessageType<HeartbeatAck> type() {
            return RingMessage.HEARTBEAT_ACK;
        }
    }

    /**
     * One entry of a membership view: node {@code node} is believed {@code dead} (or alive) since
     * {@code stampNanos}, as announced by {@code announcer}. Views merge last-writer-wins by
     * ({@code stampNanos}, {@code announcer}).
     */
    record Member(int node, boolean dead, long stampNanos, int announcer) {
        public Member {
            if (node < 0 || announcer < 0) {
                throw new IllegalArgumentException("bad member: node=" + node + " announcer=" + announcer + " (need >= 0)");
            }
        }

        /** True if this entry wins over {@code o} under last-writer-wins. */
        public boolean newerThan(Member o) {
            return stampNanos != o.stampNanos ? stampNanos > o.stampNanos : announcer > o.announcer;
        }
    }

    /**
     * Ring repair news: membership entries. With {@code relay} the message is an announcement travelling
     * around the ring (each node that learns something from it forwards it to its successor); without, it
     * is a one-hop anti-entropy sync of a whole view between neighbours whose digests differ.
     */
    record Membership(boolean relay, List<Member> members) implements RingMessage {
        public Membership {
            members = List.copyOf(members);
            if (members.isEmpty()) {
                throw new IllegalArgumentException("a membership message holds at least one entry");
            }
        }

        @Override
        public MessageType<Membership> type() {
            return RingMessage.MEMBERSHIP;
        }
    }

    // ---- replicated applications: config bus and token catalog (protocols.DeltaReplicator) ----------------

    /** A client asks the receiving node to set config {@code key} to {@code value} (a versioned delta). */
    record ConfigPut(String key, String value) implements ReplicaMessage.AppRequest {
        public ConfigPut {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /** A client asks the receiving node to add secret {@code token} to the fleet-wide catalog. */
    record CatalogAdd(String token) implements ReplicaMessage.AppRequest {
        public CatalogAdd {
            Objects.requireNonNull(token, "token");
        }
    }

    /** A client asks the receiving node to revoke {@code token}: every add of it the node has seen is undone. */
    record CatalogRevoke(String token) implements ReplicaMessage.AppRequest {
        public CatalogRevoke {
            Objects.requireNonNull(token, "token");
        }
    }

    /**
     * A dot: the {@code seq}-th delta (from 1) originated by incarnation {@code incarnation} of node {@code node}
     * (its start time, so a restarted node, which remembers nothing, never reuses a dot). Names a delta
     * fleet-wide; in a {@link Digest} it is the highest contiguous delta held from that source.
     */
    record Dot(int node, long incarnation, long seq) {
        public Dot {
            if (node < 0 || seq < 0) {
                throw new IllegalArgumentException("bad dot: node=" + node + " seq=" + seq + " (need >= 0)");
            }
        }
    }

    /**
     * One versioned delta of a replicated application. {@code op} is {@link #OP_PUT} (config: {@code key}
     * gets {@code value}), {@link #OP_ADD} (catalog: token {@code key} gets tag {@code dot}) or
     * {@link #OP_REVOKE} (catalog: the add tags of token {@code key} that the origin had seen,
     * {@code observed}, are removed). {@code lamport} is the origin's Lamport clock, which orders concurrent
     * puts to one key.
     */
    record Delta(Dot dot, long lamport, byte op, String key, String value, List<Dot> observed) {
        public static final byte OP_PUT = 1;
        public static final byte OP_ADD = 2;
        public static final byte OP_REVOKE = 3;

        public Delta {
            Objects.requireNonNull(dot, "dot");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            observed = List.copyOf(observed);
            if (op < OP_PUT || op > OP_REVOKE || dot.seq() < 1 || lamport < 0) {
                throw new IllegalArgumentException("bad delta: op=" + op + " seq=" + dot.seq() + " lamport=" + lamport
                        + " (need op 1..3, seq >= 1, lamport >= 0)");
            }
        }
    }

    /** Deltas on their way: a first-hand propagation or the answer to a {@link Digest} (anti-entropy). */
    record Deltas(List<Delta> items) implements ReplicaMessage {
        public Deltas {
            items = List.copyOf(items);
            if (items.isEmpty()) {
                throw new IllegalArgumentException("a deltas message holds at least one delta");
            }
        }

        @Override
        public MessageType<Deltas> type() {
            return ReplicaMessage.DELTAS;
        }
    }

    /**
     * Anti-entropy (Demers et al. 1987, push-pull): per source the highest contiguous delta the sender holds.
     * The receiver pushes what the sender lacks and, unless {@code reply}, answers with its own digest if the
     * sender holds something it lacks. Also sent on a gap, as a pull.
     */
    record Digest(boolean reply, List<Dot> heads) implements ReplicaMessage {
        public Digest {
            heads = List.copyOf(heads);
        }

        @Override
        public MessageType<Digest> type() {
            return ReplicaMessage.DIGEST;
        }
    }

    /** A replica tells a delta's origin that it holds delta {@code dot}: the origin may acknowledge it to the client. */
    record DeltaAck(Dot dot) implements ReplicaMessage {
        public DeltaAck {
            Objects.requireNonNull(dot, "dot");
        }

        @Override
        public MessageType<DeltaAck> type() {
            return ReplicaMessage.DELTA_ACK;
        }
    }

    // ---- the failover cache (protocols.FailoverCache) ------------------------------------------------------

    /**
     * A cache get ({@code put == false}, empty {@code value}) or put. A client sends it to any node as
     * {@link Env#CLIENT} with {@code origin == -1} and {@code hops == 0} ({@link #get}, {@link #put}); the node
     * that took it from the client (the origin) routes it to the node serving the key, setting {@code origin}
     * to itself, and every node that forwards it increments {@code hops}. The answer, a {@link CacheResponse},
     * goes back to the origin, which reports it to the client as an observation.
     *
     * @param reqId  the client's request id, unique per origin node; retries reuse it, so a server can tell a
     *               retried put from a new one
     * @param origin the node the client asked, -1 while the request is still the client's
     * @param hops   forwards so far
     */
    record CacheRequest(long reqId, int origin, int hops, long key, boolean put, byte[] value) implements CacheMessage {
        public CacheRequest {
            Objects.requireNonNull(value, "value");
            if (origin < -1 || hops < 0 || (!put && value.length > 0)) {
                throw new IllegalArgumentException("bad cache request: origin=" + origin + " hops=" + hops + " put=" + put
                        + " value=" + value.length + "B (need origin >= -1, hops >= 0, no value on a get)");
            }
        }

        /** A client's get of {@code key}. */
        public static CacheRequest get(long reqId, long key) {
            return new CacheRequest(reqId, -1, 0, key, false, new byte[0]);
        }

        /** A client's put of {@code value} under {@code key}. */
        public static CacheRequest put(long reqId, long key, byte[] value) {
            return new CacheRequest(reqId, -1, 0, key, true, value);
        }

        /** The same request, sent on by {@code via} (which becomes the origin if it took it from the client). */
        public CacheRequest routedBy(int via) {
            return new CacheRequest(reqId, origin < 0 ? via : origin, hops + 1, key, put, value);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CacheRequest r && r.reqId == reqId && r.origin == origin && r.hops == hops
                    && r.key == key && r.put == put && Arrays.equals(r.value, value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(reqId, origin, hops, key, put) * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "CacheRequest[reqId=" + reqId + ", origin=" + origin + ", hops=" + hops + ", key=" + key + ", "
                    + (put ? "put " + value.length + "B" : "get") + "]";
        }

        @Override
        public MessageType<CacheRequest> type() {
            return CacheMessage.CACHE_REQUEST;
        }
    }

    /** What a cache server answers to a {@link CacheRequest}. */
    enum CacheStatus {
        /** A get found the key: {@code version} and {@code value} are the entry's. */
        HIT,
        /** A get did not find the key. */
        MISS,
        /** A put is stored on the server and on its replica: {@code version} is the one it got. */
        STORED,
        /** The server could not serve it now (no replica acknowledged in time, too many forwards): retry. */
        FAILED
    }

    /** The server's answer to request {@code reqId}, sent to the request's origin. */
    record CacheResponse(long reqId, long key, CacheStatus status, long version, byte[] value) implements CacheMessage {
        public CacheResponse {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(value, "value");
            if (version < 0) {
                throw new IllegalArgumentException("bad cache response: version " + version + " (need >= 0)");
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CacheResponse r && r.reqId == reqId && r.key == key && r.status == status
                    && r.version == version && Arrays.equals(r.value, value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(reqId, key, status, version) * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "CacheResponse[reqId=" + reqId + ", key=" + key + ", " + status + ", version=" + version + ", value="
                    + value.length + "B]";
        }

        @Override
        public MessageType<CacheResponse> type() {
            return CacheMessage.CACHE_RESPONSE;
        }
    }

    /**
     * One cache entry: {@code value} under {@code key}, written as {@code version} (from 1, one more than the
     * version it replaced) by node {@code writer}. Copies merge by the larger {@code (version, writer)}.
     */
    record CacheEntry(long key, long version, int writer, byte[] value) {
        public CacheEntry {
            Objects.requireNonNull(value, "value");
            if (version < 1 || writer < 0) {
                throw new IllegalArgumentException("bad cache entry: version=" + version + " writer=" + writer
                        + " (need version >= 1, writer >= 0)");
            }
        }

        /** True if this copy wins over {@code o} (same key) when copies merge. */
        public boolean newerThan(CacheEntry o) {
            return version != o.version ? version > o.version : writer > o.writer;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CacheEntry e && e.key == key && e.version == version && e.writer == writer
                    && Arrays.equals(e.value, value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, version, writer) * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "CacheEntry[key=" + key + ", version=" + version + ", writer=" + writer + ", value=" + value.length
                    + "B]";
        }
    }

    /** Why {@link CacheSync} entries travel. */
    enum CacheSyncKind {
        /** A server writes one put through to its replica, which answers {@link CacheSignalKind#REPLICATED}. */
        REPLICATE,
        /** A server copies the entries it serves to a new successor (its replica), unacknowledged. */
        PUSH,
        /** The answer to {@link CacheSignalKind#HANDBACK_REQUEST}: what the asker should hold; the last chunk says so. */
        HANDBACK,
        /**
         * The replica did not store the write {@code seq}: in its view the sender does not serve that key, or it
         * holds a newer copy, which it sends back (two nodes must agree on a key's server and its next version
         * before a write is acknowledged).
         */
        REPLICA_REFUSED
    }

    /**
     * Cache entries from one node to another ({@code seq}: the write for {@link CacheSyncKind#REPLICATE}, the
     * request answered for {@link CacheSyncKind#HANDBACK}). {@code last} ends a handback sent in chunks.
     */
    record CacheSync(CacheSyncKind kind, long seq, boolean last, List<CacheEntry> entries) implements CacheMessage {
        public CacheSync {
            Objects.requireNonNull(kind, "kind");
            entries = List.copyOf(entries);
        }

        @Override
        public MessageType<CacheSync> type() {
            return CacheMessage.CACHE_SYNC;
        }
    }

    /** Cache signals without entries. */
    enum CacheSignalKind {
        /** The replica holds the write {@code seq} of a {@link CacheSyncKind#REPLICATE}. */
        REPLICATED,
        /**
         * A (re)started node asks its neighbours for what it should hold (its own keys, served meanwhile by a
         * successor, and its predecessor's replica); {@code seq} names the request.
         */
        HANDBACK_REQUEST
    }

    /** A cache signal: see {@link CacheSignalKind}. */
    record CacheSignal(CacheSignalKind kind, long seq) implements CacheMessage {
        public CacheSignal {
            Objects.requireNonNull(kind, "kind");
        }

        @Override
        public MessageType<CacheSignal> type() {
            return CacheMessage.CACHE_SIGNAL;
        }
    }
}
