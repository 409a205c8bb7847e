package dev.ringlab.node;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Every protocol, found by its spec: the one place each engine (and a {@code ringlab node} process) builds
 * protocols from. Providers are loaded once per class loader through {@link ServiceLoader}
 * ({@link ProtocolProvider}); ringlab's own protocols come from its built-in provider, a researcher's from
 * their jar on the class path.
 */
public final class ProtocolRegistry {
    private static volatile ProtocolRegistry standard;

    private final List<ProtocolProvider> providers;

    /** A registry over exactly these providers (tests, embedding). */
    public ProtocolRegistry(List<ProtocolProvider> providers) {
        if (providers.isEmpty()) {
            throw new IllegalArgumentException("a protocol registry needs at least one provider");
        }
        this.providers = List.copyOf(providers);
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

    /** Every provider's spec forms, in load order. */
    public List<String> forms() {
        List<String> all = new ArrayList<>();
        for (ProtocolProvider p : providers) {
            all.addAll(p.forms());
        }
        return all;
    }
}
