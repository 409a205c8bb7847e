package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Cluster;
import java.util.Locale;

/**
 * The open peer connections per node of a run ({@link Cluster#openConnections}), sampled once, at the end of
 * the run, over the nodes alive then: {@code open_connections_per_node} {@code {"mean":M,"max":X}} in the
 * JSON; on an engine without connections (the simulator: nothing measured) both are null, so the JSON has the
 * same fields on every engine.
 *
 * @param mean mean over the live nodes
 * @param max  the most any live node had
 * @param live how many nodes were alive
 */
record OpenConnections(double mean, int max, int live) {

    /** The sample of {@code cluster} now, or null where the engine has no connections or no node is alive. */
    static OpenConnections sample(Cluster cluster) {
        int[] open = cluster.openConnections();
        if (open == null) {
            return null;
        }
        long sum = 0;
        int max = 0;
        int live = 0;
        for (int v = 0; v < open.length; v++) {
            if (cluster.alive(v)) {
                sum += open[v];
                max = Math.max(max, open[v]);
                live++;
            }
        }
        return live == 0 ? null : new OpenConnections((double) sum / live, max, live);
    }

    /** {@code field}: {@code {"mean":..,"max":..}}, both null for {@code s} null. */
    static void put(ObjectNode o, String field, OpenConnections s) {
        ObjectNode f = o.putObject(field);
        if (s == null) {
            f.putNull("mean");
            f.putNull("max");
            return;
        }
        f.put("mean", Math.round(s.mean * 100) / 100.0).put("max", s.max);
    }

    /** As {@link #put} for a report built as a map. */
    static java.util.Map<String, Object> map(OpenConnections s) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("mean", s == null ? null : Math.round(s.mean * 100) / 100.0);
        m.put("max", s == null ? null : s.max);
        return m;
    }

    /** {@code "mean 5.03, max 7 (64 live nodes)"} for tables. */
    String describe() {
        return String.format(Locale.ROOT, "mean %.2f, max %d (%d live nodes)", mean, max, live);
    }
}
