package dev.ringlab.node;

import java.util.ArrayList;
import java.util.List;

/**
 * The failover cache's family ({@code protocols.FailoverCache}): requests, responses, replication and
 * handback.
 *
 * <p>Bodies (big-endian; {@code entry = key:8 version:8 writer:4 len:4 value}): {@code CacheRequest = reqId:8
 * origin:4 hops:4 key:8 put:1 len:4 value}, {@code CacheResponse = reqId:8 key:8 status:1 version:8 len:4
 * value}, {@code CacheSync = kind:1 seq:8 last:1 count:4 entry*}, {@code CacheSignal = kind:1 seq:8}.
 */
public sealed interface CacheMessage extends Message
        permits Message.CacheRequest, Message.CacheResponse, Message.CacheSync, Message.CacheSignal {

    /** A cache entry without its value bytes. */
    int ENTRY_FIXED = 8 + 8 + 4 + 4;

    MessageType<Message.CacheRequest> CACHE_REQUEST = MessageType.of(12, "cache_request", Message.CacheRequest.class,
            r -> 8 + 4 + 4 + 8 + 1 + Wire.bytesSize(r.value()),
            (r, out) -> {
                out.putLong(r.reqId());
                out.putInt(r.origin());
                out.putInt(r.hops());
                out.putLong(r.key());
                Wire.putBool(r.put(), out);
                Wire.putBytes(r.value(), out);
            },
            in -> {
                long reqId = in.getLong();
                int origin = in.getInt();
                int hops = in.getInt();
                long key = in.getLong();
                boolean put = Wire.getBool(in);
                return new Message.CacheRequest(reqId, origin, hops, key, put, Wire.getBytes(in));
            });

    MessageType<Message.CacheResponse> CACHE_RESPONSE = MessageType.of(13, "cache_response", Message.CacheResponse.class,
            r -> 8 + 8 + 1 + 8 + Wire.bytesSize(r.value()),
            (r, out) -> {
                out.putLong(r.reqId());
                out.putLong(r.key());
                Wire.putEnum(r.status(), out);
                out.putLong(r.version());
                Wire.putBytes(r.value(), out);
            },
            in -> {
                long reqId = in.getLong();
                long key = in.getLong();
                Message.CacheStatus status = Wire.getEnum(Message.CacheStatus.values(), in, "cache status");
                long version = in.getLong();
                return new Message.CacheResponse(reqId, key, status, version, Wire.getBytes(in));
            });

    MessageType<Message.CacheSync> CACHE_SYNC = MessageType.of(14, "cache_sync", Message.CacheSync.class,
            c -> {
                int size = 1 + 8 + 1 + 4;
                for (Message.CacheEntry e : c.entries()) {
                    size += ENTRY_FIXED + e.value().length;
                }
                return size;
            },
            (c, out) -> {
                Wire.putEnum(c.kind(), out);
                out.putLong(c.seq());
                Wire.putBool(c.last(), out);
                out.putInt(c.entries().size());
                for (Message.CacheEntry e : c.entries()) {
                    out.putLong(e.key());
                    out.putLong(e.version());
                    out.putInt(e.writer());
                    Wire.putBytes(e.value(), out);
                }
            },
            in -> {
                Message.CacheSyncKind kind = Wire.getEnum(Message.CacheSyncKind.values(), in, "cache sync kind");
                long seq = in.getLong();
                boolean last = Wire.getBool(in);
                int count = Wire.getCount(in, ENTRY_FIXED, 0, "cache entry");
                List<Message.CacheEntry> entries = new ArrayList<>(count);
                for (int k = 0; k < count; k++) {
                    long key = in.getLong();
                    long version = in.getLong();
                    int writer = in.getInt();
                    entries.add(new Message.CacheEntry(key, version, writer, Wire.getBytes(in)));
                }
                return new Message.CacheSync(kind, seq, last, entries);
            });

    MessageType<Message.CacheSignal> CACHE_SIGNAL = MessageType.of(15, "cache_signal", Message.CacheSignal.class,
            s -> 1 + 8,
            (s, out) -> {
                Wire.putEnum(s.kind(), out);
                out.putLong(s.seq());
            },
            in -> {
                Message.CacheSignalKind kind = Wire.getEnum(Message.CacheSignalKind.values(), in, "cache signal kind");
                return new Message.CacheSignal(kind, in.getLong());
            });

    /** This family's types, for registration ({@link ProtocolProvider#messageTypes()}). */
    static List<MessageType<?>> types() {
        return List.of(CACHE_REQUEST, CACHE_RESPONSE, CACHE_SYNC, CACHE_SIGNAL);
    }
}
