package dev.ringlab.node.spec;

import dev.ringlab.node.Cluster;

/**
 * One engine ({@code sim}, {@code netty}, {@code processes}): the one door through which a {@link Cluster}
 * is built from a {@link RunSpec}. Implementations live with their engine (the simulator module, the
 * runtime module); experiments only see this interface.
 *
 * <p>Contract: {@link #build} either returns a cluster (not started) on which every field of the spec
 * takes effect, or throws {@link UnsupportedRunException} naming the field it cannot apply, before any
 * socket, thread or process exists. It never ignores a field.
 */
public interface ClusterEngine {
    /** {@code "sim"}, {@code "netty"} or {@code "processes"}: the {@code --engine} value and the reported name. */
    String name();

    /** True for the deterministic simulator (virtual time, trace hash). */
    boolean deterministic();

    /**
     * A cluster (not started) running {@code spec}.
     *
     * @throws UnsupportedRunException naming the spec field this engine cannot apply
     */
    Cluster build(RunSpec spec);
}
