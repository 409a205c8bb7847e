/**
 * Seeded simulation tests of your own protocol, from your own JUnit 5 build.
 *
 * <p>{@link dev.ringlab.testkit.TestCluster} runs a cluster of your {@link dev.ringlab.node.Protocol} on an
 * overlay, with a link model, a fault plan and a seed, on any engine ({@code sim}, {@code netty},
 * {@code processes}): inject client requests, run for a (virtual) duration or until a condition, read the
 * observations (ringlab's own records and your protocol's, {@link dev.ringlab.node.Observation.Custom}), and check
 * invariants after every event. {@link dev.ringlab.testkit.SimulationTest} runs a test
 * method once per seed drawn from a master seed, each run a test invocation of its own named by its seed; a
 * failing run reports its seed, its fault plan, the plan shrunk to what still fails, and the one line that
 * replays it ({@value dev.ringlab.testkit.SimulationTest#REPLAY_PROPERTY}).
 *
 * <h2>Public API</h2>
 * This package, {@code dev.ringlab.node} (the protocol API: {@code Protocol}, {@code Node}, {@code Env},
 * {@code Message}, {@code MessageType}, {@code ProtocolProvider}, {@code Cluster}, {@code Observation} and its
 * {@code Observation.Custom}),
 * {@code dev.ringlab.node.spec} (run specs, link models, fault plans), {@code dev.ringlab.sim} and
 * {@code dev.ringlab.runtime} (their public classes) are the public API, the set the build's javadoc covers
 * (testkit's {@code -javadoc.jar}). {@code dev.ringlab.topology} (overlays) is a dependency with its own docs.
 * Internal, usable without a compatibility promise: {@code dev.ringlab.node.protocols} (ringlab's own
 * protocols), {@code dev.ringlab.node.check} (ringlab's own checkers), {@code dev.ringlab.sim.model} and the
 * CLI ({@code dev.ringlab.experiments}).
 */
package dev.ringlab.testkit;
