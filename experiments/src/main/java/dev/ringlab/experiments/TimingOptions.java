package dev.ringlab.experiments;

import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.LinkModel;
import picocli.CommandLine.Option;

/**
 * The healing ring's failure-detector flags, shared by the commands that run it as a picocli mixin. Each
 * flag not given takes the engine's default ({@link Defaults#timing}), which the run prints with its options.
 */
public final class TimingOptions {
    @Option(names = "--heartbeat", paramLabel = "D",
            description = "Failure detector: heartbeat interval (default: the engine's, printed in the run's options).")
    String heartbeat;

    @Option(names = "--suspicion-timeout", paramLabel = "D",
            description = "Failure detector: suspect a neighbour silent for this long (default: the engine's).")
    String suspicion;

    @Option(names = "--loss-timeout", paramLabel = "D",
            description = "Regenerate a token not seen for this long; must exceed a rotation (default: the engine's, "
                    + "at least the suspicion timeout).")
    String lossTimeout;

    /** The flag of the first timing option given, or null if none was. */
    public String firstGiven() {
        return heartbeat != null ? "--heartbeat" : suspicion != null ? "--suspicion-timeout"
                : lossTimeout != null ? "--loss-timeout" : null;
    }

    /**
     * The effective timing: each flag given, the rest from {@link Defaults#timing}; a token-loss timeout not
     * given is at least the suspicion timeout.
     *
     * @throws UsageException naming a flag that is not a duration
     */
    public Defaults.Timing resolve(ClusterEngine engine, int n, LinkModel link) {
        Defaults.Timing d = Defaults.timing(engine, n, link);
        long hb = heartbeat != null ? UsageException.durationNanos("--heartbeat", heartbeat) : d.heartbeatNanos();
        long sus = suspicion != null ? UsageException.durationNanos("--suspicion-timeout", suspicion) : d.suspicionNanos();
        long loss = lossTimeout != null ? UsageException.durationNanos("--loss-timeout", lossTimeout)
                : Math.max(d.tokenLossNanos(), sus);
        return new Defaults.Timing(hb, sus, loss, Math.max(d.graceNanos(), sus), d.probationNanos());
    }
}
