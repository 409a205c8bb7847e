package dev.ringlab.node.protocols;

import dev.ringlab.node.protocols.DeltaMessage.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The increments of one PN-counter key that one node holds, or that a read has gathered: per origin
 * {@code (node, incarnation)} a folded summary of its increments {@code 1..upTo} and the single increments above
 * it (see {@link Entry}). This is the dot store with causal-context compaction of delta-state CRDTs (Almeida,
 * Shoker, Baquero, JPDC 2018), restricted to contiguous prefixes: an origin numbers its increments of a key
 * densely, so "all of 1..h" is one number, and the summary for a given {@code h} is the same wherever it was
 * computed. Merging is therefore idempotent, commutative and associative: the larger summary wins, and a single
 * increment counts once by its seq, however many copies of it arrive.
 *
 * <h2>Size</h2>
 * {@link #bytes} counts the state in its compact self-describing form: {@value #DELTA_BYTES} bytes per single
 * increment (origin node 4, incarnation 8, seq 8, amount 8) and {@value #SUMMARY_BYTES} per summary (origin 12,
 * upTo 8, plus 8, minus 8). The key itself is not counted (the owner mode's figure leaves it out too).
 *
 * <p>Not thread-safe: one node's thread.
 */
public final class DeltaStore {
    /** Bytes of one single increment as {@link #bytes} counts it. */
    public static final int DELTA_BYTES = 4 + 8 + 8 + 8;
    /** Bytes of one per-origin summary as {@link #bytes} counts it. */
    public static final int SUMMARY_BYTES = 4 + 8 + 8 + 8 + 8;

    /** An origin of increments: a node in one incarnation (a restarted node numbers afresh). */
    public record Origin(int node, long incarnation) implements Comparable<Origin> {
        @Override
        public int compareTo(Origin o) {
            return node != o.node ? Integer.compare(node, o.node) : Long.compare(incarnation, o.incarnation);
        }
    }

    private static final class Slot {
        long upTo;
        long plus;
        long minus;
        final TreeMap<Long, Long> loose = new TreeMap<>();

        boolean isEmpty() {
            return upTo == 0 && loose.isEmpty();
        }
    }

    private final TreeMap<Origin, Slot> slots = new TreeMap<>();

    /** Merges {@code e} in; returns true if this store learned anything. */
    public boolean merge(Entry e) {
        Slot s = slots.computeIfAbsent(new Origin(e.node(), e.incarnation()), o -> new Slot());
        boolean changed = false;
        if (e.upTo() > s.upTo) {
            s.upTo = e.upTo();
            s.plus = e.plus();
            s.minus = e.minus();
            s.loose.headMap(s.upTo, true).clear();
            changed = true;
        }
        for (int i = 0; i < e.looseCount(); i++) {
            long seq = e.seqAt(i);
            if (seq > s.upTo && s.loose.putIfAbsent(seq, e.amountAt(i)) == null) {
                changed = true;
            }
        }
        if (s.isEmpty()) {
            slots.remove(new Origin(e.node(), e.incarnation()));
        }
        return changed;
    }

    /** Merges every entry of {@code entries} in; returns true if this store learned anything. */
    public boolean mergeAll(List<Entry> entries) {
        boolean changed = false;
        for (Entry e : entries) {
            changed |= merge(e);
        }
        return changed;
    }

    /** Merges {@code other} in. */
    public void merge(DeltaStore other) {
        mergeAll(other.entries());
    }

    /**
     * Compaction: folds every origin's single increments that continue its summary ({@code upTo + 1, upTo + 2,
     * ...}) into it. Returns true if anything was folded. Increments after a gap stay single until the gap is
     * filled (by the origin's summary, or the missing increment); an origin's increment 1 alone stays single (its
     * summary would be larger), so folding never makes a node's state larger.
     */
    public boolean fold() {
        boolean changed = false;
        for (Slot s : slots.values()) {
            if (s.upTo == 0 && !s.loose.containsKey(2L)) {
                continue; // a summary of one increment would be larger than the increment
            }
            while (!s.loose.isEmpty() && s.loose.firstKey() == s.upTo + 1) {
                long amount = s.loose.pollFirstEntry().getValue();
                if (amount > 0) {
                    s.plus += amount;
                } else {
                    s.minus -= amount;
                }
                s.upTo++;
                changed = true;
            }
        }
        return changed;
    }

    /**
     * Drops {@code origin}'s increments up to {@code upTo} (its summary too, if it covers no more): the origin's
     * replicas hold them.
     */
    public void release(Origin origin, long upTo) {
        Slot s = slots.get(origin);
        if (s == null) {
            return;
        }
        s.loose.headMap(upTo, true).clear();
        if (s.upTo <= upTo) {
            s.upTo = 0;
            s.plus = 0;
            s.minus = 0;
        }
        if (s.isEmpty()) {
            slots.remove(origin);
        }
    }

    /** {@code origin}'s share, or null if none is held. */
    public Entry entry(Origin origin) {
        Slot s = slots.get(origin);
        return s == null ? null : entry(origin, s);
    }

    private static Entry entry(Origin o, Slot s) {
        long[] seqs = new long[s.loose.size()];
        long[] amounts = new long[seqs.length];
        int i = 0;
        for (Map.Entry<Long, Long> d : s.loose.entrySet()) {
            seqs[i] = d.getKey();
            amounts[i++] = d.getValue();
        }
        return new Entry(o.node(), o.incarnation(), s.upTo, s.plus, s.minus, seqs, amounts);
    }

    /** Every origin's share, in origin order. */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>(slots.size());
        slots.forEach((o, s) -> out.add(entry(o, s)));
        return out;
    }

    /** The origins held, in order. */
    public List<Origin> origins() {
        return new ArrayList<>(slots.keySet());
    }

    /** Sum of the positive increments held. */
    public long plus() {
        long p = 0;
        for (Slot s : slots.values()) {
            p += s.plus;
            for (long a : s.loose.values()) {
                p += a > 0 ? a : 0;
            }
        }
        return p;
    }

    /** Sum of the magnitudes of the negative increments held. */
    public long minus() {
        long m = 0;
        for (Slot s : slots.values()) {
            m += s.minus;
            for (long a : s.loose.values()) {
                m += a < 0 ? -a : 0;
            }
        }
        return m;
    }

    /** The counter's value: {@link #plus} minus {@link #minus}. */
    public long value() {
        return plus() - minus();
    }

    /** Single increments held (not folded into a summary). */
    public long looseCount() {
        long c = 0;
        for (Slot s : slots.values()) {
            c += s.loose.size();
        }
        return c;
    }

    /** Summaries held (origins with {@code upTo > 0}). */
    public int summaryCount() {
        int c = 0;
        for (Slot s : slots.values()) {
            c += s.upTo > 0 ? 1 : 0;
        }
        return c;
    }

    /** Bytes of this state: see the class doc. */
    public long bytes() {
        return (long) DELTA_BYTES * looseCount() + (long) SUMMARY_BYTES * summaryCount();
    }

    public boolean isEmpty() {
        return slots.isEmpty();
    }

    /** Whether increment {@code seq} of {@code origin} is counted here. */
    public boolean contains(Origin origin, long seq) {
        Slot s = slots.get(origin);
        return s != null && (seq <= s.upTo || s.loose.containsKey(seq));
    }

    /**
     * The increments counted, as text a checker parses back ({@link #parseDots}):
     * {@code node/incarnation:upTo[,seq...]} per origin, separated by {@code ;}.
     */
    public String dots() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Origin, Slot> e : slots.entrySet()) {
            if (!b.isEmpty()) {
                b.append(';');
            }
            b.append(e.getKey().node()).append('/').append(e.getKey().incarnation()).append(':').append(e.getValue().upTo);
            for (long seq : e.getValue().loose.keySet()) {
                b.append(',').append(seq);
            }
        }
        return b.toString();
    }

    /**
     * Parses {@link #dots} back into a store of the same increments, with every amount 1 (the text carries no
     * amounts): enough for {@link #contains}.
     *
     * @throws IllegalArgumentException on a malformed text
     */
    public static DeltaStore parseDots(String text) {
        DeltaStore out = new DeltaStore();
        if (text.isEmpty()) {
            return out;
        }
        for (String part : text.split(";")) {
            try {
                int slash = part.indexOf('/');
                int colon = part.indexOf(':');
                int node = Integer.parseInt(part.substring(0, slash));
                long inc = Long.parseLong(part.substring(slash + 1, colon));
                String[] seqs = part.substring(colon + 1).split(",");
                Slot s = out.slots.computeIfAbsent(new Origin(node, inc), o -> new Slot());
                s.upTo = Long.parseLong(seqs[0]);
                s.plus = s.upTo;
                for (int i = 1; i < seqs.length; i++) {
                    s.loose.put(Long.parseLong(seqs[i]), 1L);
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("bad dots '" + part + "': " + e.getMessage());
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "DeltaStore[" + dots() + "]";
    }
}
