package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Observation;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Observations as flat JSON objects, {@code {"kind":"Delivered","node":3,...}}: how a node process
 * streams them to its parent (one per stdout line) and how /status shows the last token. Works for every
 * record of the sealed {@link Observation} through its record components, so a new observation type needs
 * no change here as long as its components are ints, longs, doubles, booleans or strings.
 *
 * <p>A protocol's own {@link Observation.Custom} record is written with {@code "kind":"Custom"} and its binary
 * class name in {@code "class"} (a key no record component can take), and rebuilt from that class, which the
 * reading side loads; {@link #requireEncodable} says whether a class has the form this needs.
 */
public final class ObservationJson {
    public static final ObjectMapper MAPPER = new ObjectMapper();
    /** The {@code kind} of every {@link Observation.Custom} record; its class is in {@value #CLASS_KEY}. */
    public static final String CUSTOM_KIND = "Custom";
    /** The key of a custom record's binary class name. */
    public static final String CLASS_KEY = "class";
    /** Keys of the JSON line itself, which a custom record's components must not take. */
    private static final Set<String> RESERVED = Set.of("kind", "event");
    private static final Set<Class<?>> ENCODABLE = Set.of(int.class, long.class, double.class, boolean.class, String.class);
    private static final Map<String, Class<?>> KINDS = new HashMap<>();
    /** Per custom class: "" if it has the JSON form, else why not (computed once per class). */
    private static final ClassValue<String> CUSTOM_FORM = new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> c) {
            return customFormProblem(c);
        }
    };

    /**
     * Per record class, its components' names, types and accessors and its canonical constructor, looked up once:
     * looking them up per observation (a fresh copy of the components and a reflective call each) made a node's
     * stdout writer the bottleneck of a fast token ring on processes (80,000 hops a second on loopback, 2 cores):
     * its queue grew to most of the node's heap and the driver read the token seconds late.
     */
    private record Shape(String[] names, Class<?>[] types, Method[] accessors, Constructor<?> constructor) {}

    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> c) {
            RecordComponent[] rcs = c.getRecordComponents();
            String[] names = new String[rcs.length];
            Class<?>[] types = new Class<?>[rcs.length];
            Method[] accessors = new Method[rcs.length];
            for (int i = 0; i < rcs.length; i++) {
                names[i] = rcs[i].getName();
                types[i] = rcs[i].getType();
                accessors[i] = rcs[i].getAccessor();
            }
            Constructor<?> k;
            try {
                k = c.getDeclaredConstructor(types);
            } catch (NoSuchMethodException e) {
                throw new IllegalArgumentException("record " + c.getName() + " has no canonical constructor", e);
            }
            if (!Modifier.isPublic(c.getModifiers()) || Observation.Custom.class.isAssignableFrom(c)) {
                // A custom record need not be public.
                for (Method m : accessors) {
                    m.setAccessible(true);
                }
                k.setAccessible(true);
            }
            return new Shape(names, types, accessors, k);
        }
    };

    static {
        for (Class<?> c : Observation.class.getPermittedSubclasses()) {
            if (c.isRecord()) { // not Observation.Custom: its records are named by class, see fromJson
                KINDS.put(c.getSimpleName(), c);
            }
        }
    }

    private ObservationJson() {}

    /**
     * Checks that {@code c} can cross from a node process to the driver (see {@link Observation.Custom}).
     *
     * @param c a custom observation class
     * @throws IllegalArgumentException naming the class and what is wrong with it
     */
    public static void requireEncodable(Class<? extends Observation.Custom> c) {
        String problem = CUSTOM_FORM.get(c);
        if (!problem.isEmpty()) {
            throw new IllegalArgumentException("custom observation " + c.getName() + " cannot be sent by a node process: "
                    + problem + " (see Observation.Custom)");
        }
    }

    private static String customFormProblem(Class<?> c) {
        if (!c.isRecord()) {
            return "it is not a record";
        }
        if (c.isHidden()) {
            return "a hidden class cannot be loaded by name";
        }
        for (RecordComponent rc : c.getRecordComponents()) {
            if (!ENCODABLE.contains(rc.getType())) {
                return "component " + rc.getName() + " is a " + rc.getType().getSimpleName()
                        + ", not an int, long, double, boolean or String";
            }
            if (RESERVED.contains(rc.getName())) {
                return "component " + rc.getName() + " has a name the JSON line uses itself (kind, event)";
            }
        }
        return "";
    }

    public static ObjectNode toJson(Observation o) {
        ObjectNode n = MAPPER.createObjectNode();
        if (o instanceof Observation.Custom c) {
            requireEncodable(c.getClass());
            n.put("kind", CUSTOM_KIND);
            n.put(CLASS_KEY, c.getClass().getName());
        } else {
            n.put("kind", o.getClass().getSimpleName());
        }
        Shape shape = SHAPES.get(o.getClass());
        try {
            for (int i = 0; i < shape.names.length; i++) {
                String name = shape.names[i];
                Object v = shape.accessors[i].invoke(o);
                switch (v) {
                    case Integer x -> n.put(name, x);
                    case Long l -> n.put(name, l);
                    case Double d -> n.put(name, d);
                    case Boolean b -> n.put(name, b);
                    case String x -> n.put(name, x);
                    case null -> n.putNull(name);
                    default -> throw new IllegalArgumentException("cannot encode " + shape.types[i].getName() + " "
                            + name + " of " + o);
                }
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return n;
    }

    /**
     * The inverse of {@link #toJson}. A custom record's class is loaded by the thread's context class loader
     * (else this class's), and only if it is an {@link Observation.Custom} record.
     *
     * @throws IllegalArgumentException on an unknown kind or class or a missing field
     */
    public static Observation fromJson(JsonNode n) {
        String kind = n.path("kind").asText();
        Class<?> c = kind.equals(CUSTOM_KIND) ? customClass(n) : KINDS.get(kind);
        if (c == null) {
            throw new IllegalArgumentException("unknown observation kind in " + n);
        }
        Shape shape = SHAPES.get(c);
        Class<?>[] types = shape.types;
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            JsonNode v = n.get(shape.names[i]);
            if (v == null) {
                throw new IllegalArgumentException("missing " + shape.names[i] + " in " + n);
            }
            args[i] = types[i] == int.class ? v.asInt()
                    : types[i] == long.class ? v.asLong()
                    : types[i] == double.class ? v.asDouble()
                    : types[i] == boolean.class ? (Object) v.asBoolean()
                    : v.isNull() ? null : v.asText();
        }
        try {
            return (Observation) shape.constructor.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot build " + c.getSimpleName() + " from " + n, e);
        }
    }

    private static Class<?> customClass(JsonNode n) {
        String name = n.path(CLASS_KEY).asText();
        if (name.isEmpty()) {
            throw new IllegalArgumentException("custom observation without its " + CLASS_KEY + " in " + n);
        }
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Class<?> c;
        try {
            // Not initialised before the check below: the name comes from a child's output.
            c = Class.forName(name, false, loader != null ? loader : ObservationJson.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("custom observation class " + name + " is not on the class path", e);
        }
        if (!Observation.Custom.class.isAssignableFrom(c) || !c.isRecord()) {
            throw new IllegalArgumentException(name + " is not an Observation.Custom record");
        }
        @SuppressWarnings("unchecked")
        Class<? extends Observation.Custom> custom = (Class<? extends Observation.Custom>) c;
        requireEncodable(custom);
        return c;
    }
}
