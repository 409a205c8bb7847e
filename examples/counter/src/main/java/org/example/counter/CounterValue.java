package org.example.counter;

import dev.ringlab.node.Observation;

/**
 * The counter's own observation: node {@code node}'s counter reads {@code value} from {@code atNanos} on (reported
 * whenever its state grows). A record of the protocol, not of ringlab: {@link Observation.Custom} lets every
 * engine carry it to the test, a node process included.
 */
public record CounterValue(int node, long value, long atNanos) implements Observation.Custom {}
