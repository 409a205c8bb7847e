package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Observation;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.HashMap;
import java.util.Map;

/**
 * Observations as flat JSON objects, {@code {"kind":"Delivered","node":3,...}}: how a node process
 * streams them to its parent (one per stdout line) and how /status shows the last token. Works for every
 * record of the sealed {@link Observation} through its record components, so a new observation type needs
 * no change here as long as its components are ints, longs, doubles, booleans or strings.
 */
public final class ObservationJson {
    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Map<String, Class<?>> KINDS = new HashMap<>();

    static {
        for (Class<?> c : Observation.class.getPermittedSubclasses()) {
            KINDS.put(c.getSimpleName(), c);
        }
    }

    private ObservationJson() {}

    public static ObjectNode toJson(Observation o) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("kind", o.getClass().getSimpleName());
        try {
            for (RecordComponent rc : o.getClass().getRecordComponents()) {
                Object v = rc.getAccessor().invoke(o);
                switch (v) {
                    case Integer i -> n.put(rc.getName(), i);
                    case Long l -> n.put(rc.getName(), l);
                    case Double d -> n.put(rc.getName(), d);
                    case Boolean b -> n.put(rc.getName(), b);
                    case String s -> n.put(rc.getName(), s);
                    default -> throw new IllegalArgumentException("cannot encode " + rc + " of " + o);
                }
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return n;
    }

    /** The inverse of {@link #toJson}. @throws IllegalArgumentException on an unknown kind or a missing field */
    public static Observation fromJson(JsonNode n) {
        Class<?> c = KINDS.get(n.path("kind").asText());
        if (c == null) {
            throw new IllegalArgumentException("unknown observation kind in " + n);
        }
        RecordComponent[] rcs = c.getRecordComponents();
        Class<?>[] types = new Class<?>[rcs.length];
        Object[] args = new Object[rcs.length];
        for (int i = 0; i < rcs.length; i++) {
            types[i] = rcs[i].getType();
            JsonNode v = n.get(rcs[i].getName());
            if (v == null) {
                throw new IllegalArgumentException("missing " + rcs[i].getName() + " in " + n);
            }
            args[i] = types[i] == int.class ? v.asInt()
                    : types[i] == long.class ? v.asLong()
                    : types[i] == double.class ? v.asDouble()
                    : types[i] == boolean.class ? (Object) v.asBoolean()
                    : v.asText();
        }
        try {
            Constructor<?> k = c.getDeclaredConstructor(types);
            return (Observation) k.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot build " + c.getSimpleName() + " from " + n, e);
        }
    }
}
