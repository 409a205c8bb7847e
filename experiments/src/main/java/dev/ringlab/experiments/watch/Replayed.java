package dev.ringlab.experiments.watch;

import dev.ringlab.topology.Overlay;

/**
 * A recorded run ready to serve.
 *
 * @param source    what was replayed, for people (the file and run, or the check command)
 * @param note      what the re-run found (trace hash matched, the violation), or null
 */
record Replayed(Recording recording, Overlay overlay, String protocol, long seed, String source, String note) {}
