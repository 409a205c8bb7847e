package dev.ringlab.testkit;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExecutableInvoker;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;

/**
 * Runs a test method once more the way JUnit Jupiter runs it, for a shrink rerun: test instances made as
 * JUnit makes them for the class's lifecycle (a fresh one per run with {@code PER_METHOD}, the default; the
 * same one with {@code PER_CLASS}), then the {@code @BeforeEach} methods (enclosing classes first, superclasses
 * first), the test method, the {@code @AfterEach} methods (the reverse order; all of them, even after a
 * failure). Constructors' and methods' parameters are resolved through the extension context's
 * {@link ExecutableInvoker}, i.e. by the registered {@code ParameterResolver}s.
 *
 * <p>What it does not do (JUnit's engine gives an extension no way to): apply other extensions'
 * {@code TestInstanceFactory}, {@code TestInstancePostProcessor}, {@code BeforeEachCallback},
 * {@code AfterEachCallback} or {@code InvocationInterceptor} (e.g. {@code @Timeout}) to the rerun.
 */
final class LifecycleRerun {
    private LifecycleRerun() {}

    /**
     * Runs {@code context}'s test method once more; {@code afterTest} runs right after the test method (where
     * JUnit runs {@code AfterTestExecutionCallback}s), before the {@code @AfterEach} methods.
     *
     * @return the first failure (of an instance's creation, a {@code @BeforeEach}, the test method, or an
     *     {@code @AfterEach}, in that order of precedence), or null if the run passed
     */
    static Throwable run(ExtensionContext context, Runnable afterTest) {
        ExecutableInvoker invoker = context.getExecutableInvoker();
        List<Object> instances;
        try {
            instances = instances(context, invoker);
        } catch (Throwable t) {
            return t;
        }
        Throwable failure = null;
        boolean ready = true;
        for (Object instance : instances) {
            for (Method m : AnnotationSupport.findAnnotatedMethods(instance.getClass(), BeforeEach.class,
                    HierarchyTraversalMode.TOP_DOWN)) {
                if (ready) {
                    try {
                        invoker.invoke(m, instance);
                    } catch (Throwable t) {
                        failure = t;
                        ready = false; // as JUnit: the test method is skipped, the @AfterEach methods still run
                    }
                }
            }
        }
        if (ready) {
            try {
                invoker.invoke(context.getRequiredTestMethod(), instances.get(instances.size() - 1));
            } catch (Throwable t) {
                failure = t;
            }
        }
        try {
            afterTest.run();
        } catch (Throwable t) {
            failure = failure == null ? t : failure;
        }
        List<Object> innerFirst = new ArrayList<>(instances);
        Collections.reverse(innerFirst);
        for (Object instance : innerFirst) {
            for (Method m : AnnotationSupport.findAnnotatedMethods(instance.getClass(), AfterEach.class,
                    HierarchyTraversalMode.BOTTOM_UP)) {
                try {
                    invoker.invoke(m, instance);
                } catch (Throwable t) {
                    failure = failure == null ? t : failure;
                }
            }
        }
        return failure;
    }

    /**
     * The instances for the rerun, outermost (of a {@code @Nested} class's enclosing classes) first: the deepest
     * levels whose lifecycle is {@code PER_METHOD} are made anew (an inner class's constructor takes its
     * enclosing instance), the levels above them are the failing run's, as JUnit keeps them.
     */
    private static List<Object> instances(ExtensionContext context, ExecutableInvoker invoker) {
        List<Object> instances = new ArrayList<>(context.getRequiredTestInstances().getAllInstances());
        List<TestInstance.Lifecycle> lifecycles = lifecycles(context, instances.size());
        int fresh = instances.size();
        while (fresh > 0 && lifecycles.get(fresh - 1) == TestInstance.Lifecycle.PER_METHOD) {
            fresh--;
        }
        for (int i = fresh; i < instances.size(); i++) {
            Class<?> c = instances.get(i).getClass();
            Constructor<?> k = constructor(c);
            boolean inner = c.isMemberClass() && !Modifier.isStatic(c.getModifiers()) && i > 0;
            instances.set(i, inner ? invoker.invoke(k, instances.get(i - 1)) : invoker.invoke(k));
        }
        return instances;
    }

    /** The lifecycle of each class level, outermost first, read from the class contexts above the test's. */
    private static List<TestInstance.Lifecycle> lifecycles(ExtensionContext context, int levels) {
        List<TestInstance.Lifecycle> out = new ArrayList<>();
        for (ExtensionContext c = context; c != null && out.size() < levels; c = c.getParent().orElse(null)) {
            if (c.getElement().orElse(null) instanceof Class<?>) {
                out.add(c.getTestInstanceLifecycle().orElse(TestInstance.Lifecycle.PER_METHOD));
            }
        }
        while (out.size() < levels) {
            out.add(TestInstance.Lifecycle.PER_CLASS); // not found: keep that level's instance, never guess a fresh one
        }
        Collections.reverse(out);
        return out;
    }

    /** The test class's one constructor, as JUnit requires it to have exactly one. */
    private static Constructor<?> constructor(Class<?> c) {
        Constructor<?>[] ks = c.getDeclaredConstructors();
        if (ks.length != 1) {
            throw new IllegalStateException(c.getName() + " has " + ks.length + " constructors; a test class has one");
        }
        return ks[0];
    }
}
