package dev.ringlab.node;

/**
 * Engine counters since start. {@code messagesSent} counts every node-to-node {@link Env#send} (a
 * {@link Message.Batch} counts once); client requests are not counted. {@code messagesDropped} counts
 * sends lost to crashes, partitions, loss models or backpressure; {@code events} counts message
 * deliveries to live nodes (the simulator's event rate is quoted per delivery).
 */
public record ClusterStats(long messagesSent, long bytesSent, long messagesDelivered, long messagesDropped, long events) {}
