package dev.ringlab.testkit;

import dev.ringlab.node.spec.FaultPlan;

/**
 * A failing run's report: seed, failure, fault plan, shrunk plan, replay lines. It is thrown when the test
 * method fails, and its shrunk plan is filled in after the run's {@code @AfterEach} methods (by
 * {@link SimulationExtension}'s shrink step), so shrink reruns go through a whole lifecycle of their own; JUnit
 * reports a failure only after the invocation's last callback, so listeners (Surefire, IDEs) read the completed
 * message.
 */
final class SimulationFailure extends AssertionError {
    private static final long serialVersionUID = 1L;
    private final String head;
    private final String method;
    private final SimulationRun run;
    private final FaultPlan plan;
    private volatile String message;

    SimulationFailure(String head, String method, SimulationRun run, FaultPlan plan, Throwable cause) {
        super(head, cause);
        this.head = head;
        this.method = method;
        this.run = run;
        this.plan = plan;
        complete(plan == null || plan.isEmpty() ? null : "  shrunk plan: not shrunk yet (after the run's @AfterEach)\n", null);
    }

    /** The failed run's fault plan, or null if it started no cluster. */
    FaultPlan plan() {
        return plan;
    }

    /** The message with {@code shrunkLine} (null for none) and, if it differs from the plan, the shrunk plan's replay. */
    void complete(String shrunkLine, FaultPlan shrunk) {
        StringBuilder m = new StringBuilder(head);
        if (shrunkLine != null) {
            m.append(shrunkLine);
        }
        String replay = run.replayText();
        String quoted = replay.equals(run.seedText()) ? replay : "'" + replay + "'";
        m.append("  replay:      -D").append(SimulationTest.REPLAY_PROPERTY).append('=').append(quoted)
                .append("   (or @SimulationTest(replay = \"").append(replay).append("\"))\n");
        if (shrunk != null && !shrunk.equals(plan)) {
            m.append("  replay shrunk: -D").append(SimulationTest.REPLAY_PROPERTY).append("='").append(run.seedText())
                    .append('/').append(shrunk.isEmpty() ? "none" : shrunk).append("'\n");
        }
        m.append("  e.g.         mvn test -Dtest='").append(method).append("' -D").append(SimulationTest.REPLAY_PROPERTY)
                .append('=').append(quoted);
        message = m.toString();
    }

    @Override
    public String getMessage() {
        return message;
    }
}
