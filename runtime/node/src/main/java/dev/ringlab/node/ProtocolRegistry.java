package dev.ringlab.node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Every protocol, found by its spec: the one place each engine (and a {@code ringlab node} process) builds
 * protocols from. Providers are loaded once per class loader through {@link ServiceLoader}
 * ({@link ProtocolProvider}); ringlab's own protocols come from its built-in provider, a researcher's from
 * their jar on the class path.
 *
 * <p>It also holds the {@link MessageType}s every provider declares, by id: {@link MessageCodec} decodes
 * with this table. Building a registry refuses two types with one id or one name (naming both providers)
 * and a type outside ringlab with an id in ringlab's range 1..{@value MessageType#LAST_RINGLAB_ID}.
 */
public final class ProtocolRegistry {
    private static volatile ProtocolRegistry standard;

    private final List<ProtocolProvider> providers;
    /** Index: the wire id (1..255; 0 is never one). */
    private final MessageType<?>[] typesById = new MessageType<?>[MessageType.MAX_ID + 1];
    private final List<MessageType<?>> messageTypes;

    /**
     * A registry over exactly these providers (tests, embedding).
     *
     * @throws IllegalArgumentException if no provider is given, or if the providers' message types clash
     *                                  (one id or one name for two types, a reserved id), naming the providers
     */
    public ProtocolRegistry(List<ProtocolProvider> providers) {
        if (providers.isEmpty()) {
            throw new IllegalArgumentException("a protocol registry needs at least one provider");
        }
        this.providers = List.copyOf(providers);
        Map<MessageType<?>, ProtocolProvider> owner = new IdentityHashMap<>();
        Map<String, MessageType<?>> byName = new HashMap<>();
        for (ProtocolProvider p : this.providers) {
            List<MessageType<?>> declared = p.messageTypes();
            if (declared == null) {
                throw new IllegalArgumentException(name(p) + ".messageTypes() returned null; return List.of() for none");
            }
            for (MessageType<?> t : declared) {
                if (t == null) {
                    throw new IllegalArgumentException(name(p) + ".messageTypes() lists a null type");
                }
                if (owner.containsKey(t)) {
                    continue; // one type listed twice (e.g. by a protocol that reuses another's type) is one type
                }
                if (t.id() <= MessageType.LAST_RINGLAB_ID && !isRinglab(p)) {
                    throw new IllegalArgumentException("message type " + t + " of " + name(p) + " has an id in 1.."
                            + MessageType.LAST_RINGLAB_ID + ", reserved for ringlab's own types and frames: use "
                            + MessageType.FIRST_THIRD_PARTY_ID + ".." + MessageType.MAX_ID);
                }
                MessageType<?> sameId = typesById[t.id()];
                if (sameId != null) {
                    throw new IllegalArgumentException("message type id " + t.id() + " is declared twice: " + sameId
                            + " by " + name(owner.get(sameId)) + " and " + t + " by " + name(p)
                            + "; give one of them another id");
                }
                MessageType<?> sameName = byName.get(t.name());
                if (sameName != null) {
                    throw new IllegalArgumentException("message type name '" + t.name() + "' is declared twice: "
                            + sameName + " by " + name(owner.get(sameName)) + " and " + t + " by " + name(p)
                            + "; names label /metrics, so give one of them another name");
                }
                owner.put(t, p);
                byName.put(t.name(), t);
                typesById[t.id()] = t;
            }
        }
        List<MessageType<?>> all = new ArrayList<>();
        for (MessageType<?> t : typesById) {
            if (t != null) {
                all.add(t);
            }
        }
        this.messageTypes = List.copyOf(all);
    }

    private static String name(ProtocolProvider p) {
        return p.getClass().getName();
    }

    /** ringlab's own providers may use its reserved ids; anything else is a researcher's jar. */
    private static boolean isRinglab(ProtocolProvider p) {
        return p.getClass().getName().startsWith("dev.ringlab.");
    }

    /** The registry of every provider on the class path (loaded on first use, then cached). */
    public static ProtocolRegistry standard() {
        ProtocolRegistry r = standard;
        if (r == null) {
            synchronized (ProtocolRegistry.class) {
                r = standard;
                if (r == null) {
                    List<ProtocolProvider> found = new ArrayList<>();
                    ClassLoader loader = ProtocolRegistry.class.getClassLoader();
                    for (ProtocolProvider p : ServiceLoader.load(ProtocolProvider.class, loader)) {
                        found.add(p);
                    }
                    if (found.isEmpty()) {
                        throw new IllegalStateException("no protocol provider on the class path: the jar lacks "
                                + "META-INF/services/" + ProtocolProvider.class.getName());
                    }
                    r = new ProtocolRegistry(found);
                    standard = r;
                }
            }
        }
        return r;
    }

    /** The providers, in load order. */
    public List<ProtocolProvider> providers() {
        return providers;
    }

    /**
     * The protocol named by {@code spec}.
     *
     * @throws IllegalArgumentException for an unknown or malformed spec, listing the forms every provider
     *                                  accepts
     */
    public Protocol protocol(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("missing protocol: use one of " + String.join("; ", forms()));
        }
        String s = spec.trim();
        for (ProtocolProvider p : providers) {
            Protocol protocol = p.parse(s);
            if (protocol != null) {
                return protocol;
            }
        }
        throw new IllegalArgumentException("unknown protocol '" + spec + "': use one of " + String.join("; ", forms()));
    }

    /** The registered type with wire id {@code id} (0..255), or null if none has it. */
    public MessageType<?> messageType(int id) {
        return id >= 0 && id < typesById.length ? typesById[id] : null;
    }

    /** Every registered message type, by id. */
    public List<MessageType<?>> messageTypes() {
        return messageTypes;
    }

    /** Every provider's spec forms, in load order. */
    public List<String> forms() {
        List<String> all = new ArrayList<>();
        for (ProtocolProvider p : providers) {
            all.addAll(p.forms());
        }
        return all;
    }
}
