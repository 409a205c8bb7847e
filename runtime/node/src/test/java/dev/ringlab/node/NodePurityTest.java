package dev.ringlab.node;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code dev.ringlab.node} sans-I/O (DESIGN.md, "The spine"): node logic gets time, randomness and
 * I/O only from {@link Env}, which is what makes a simulated run replay from its seed and lets the same
 * code run on Netty. Each rule is also applied to a fixture that breaks it, so a rule that matches nothing
 * cannot pass silently.
 */
class NodePurityTest {
    private static final String NODE = "dev.ringlab.node..";
    /**
     * Node logic proper. The module's run-spec and checker packages ({@code node.spec}, {@code node.check})
     * run on the control side, not in a node: they obey the I/O, thread and clock rules, but may draw from a
     * stream split from the run seed (a random fault plan), so the two random rules apply here only.
     */
    private static final String[] NODE_LOGIC = {"dev.ringlab.node", "dev.ringlab.node.protocols.."};
    private static final String FIXTURE = "dev.ringlab.archfixture..";

    private static List<ArchRule> rules(String... pkg) {
        return List.of(
                noClasses().that().resideInAnyPackage(pkg)
                        .should().dependOnClassesThat().resideInAnyPackage("io.netty..", "java.net..", "java.nio.channels..")
                        .because("node logic does no I/O: engines move its messages"),
                noClasses().that().resideInAnyPackage(pkg)
                        .should().dependOnClassesThat().areAssignableTo(Thread.class)
                        .because("engines call a node from one thread at a time; it neither starts nor sleeps threads"),
                noClasses().that().resideInAnyPackage(pkg)
                        .should().callMethod(System.class, "currentTimeMillis")
                        .orShould().callMethod(System.class, "nanoTime")
                        .because("time comes from Env.now(): virtual in the simulator"),
                noClasses().that().resideInAnyPackage(pkg)
                        .should().callConstructorWhere(JavaAccess.Predicates.targetOwner(
                                JavaClass.Predicates.assignableTo(Random.class)))
                        .because("randomness comes from Env.random(), seeded from the run seed"),
                noClasses().that().resideInAnyPackage(pkg)
                        .should().callMethod(Math.class, "random")
                        .orShould().dependOnClassesThat().belongToAnyOf(ThreadLocalRandom.class)
                        .orShould().callConstructorWhere(JavaAccess.Predicates.targetOwner(
                                JavaClass.Predicates.assignableTo(SplittableRandom.class)))
                        .because("no hidden random stream: Env.random() is the only one that replays per node"));
    }

    private static JavaClasses importMain(String pkg) {
        return new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(pkg);
    }

    @Test
    void nodePackageUsesNoIoThreadsWallClockOrUnseededRandom() {
        JavaClasses node = importMain("dev.ringlab.node");
        assertTrue(node.contain("dev.ringlab.node.protocols.Flood"), "the import found no node classes");
        assertTrue(node.contain("dev.ringlab.node.spec.FaultPlan"), "the import found no run-spec classes");
        List<ArchRule> all = rules(NODE);
        for (ArchRule rule : all.subList(0, 3)) {
            rule.check(node);
        }
        for (ArchRule rule : rules(NODE_LOGIC).subList(3, 5)) {
            rule.check(node);
        }
    }

    @Test
    void everyRuleCatchesTheFixtureThatBreaksIt() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.ringlab.archfixture");
        assertTrue(fixture.contain("dev.ringlab.archfixture.ForbiddenNode"), "fixture not imported");
        for (ArchRule rule : rules(FIXTURE)) {
            EvaluationResult result = rule.evaluate(fixture);
            assertTrue(result.hasViolation(), "rule did not fire on the fixture that breaks it: " + rule.getDescription());
        }
    }

    @Test
    void theRandomRuleCatchesTheSeededConstructorToo() {
        // new Random(42) is seeded but still a second, hidden stream: only Env.random() replays per node.
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.ringlab.archfixture");
        EvaluationResult result = rules(FIXTURE).get(3).evaluate(fixture);
        String report = String.join("\n", result.getFailureReport().getDetails());
        assertTrue(report.contains("Random.<init>(long)"), report);
        assertTrue(report.contains("Random.<init>()"), report);
        assertFalse(report.isEmpty());
    }

    @Test
    void theHiddenStreamRuleCatchesMathRandomThreadLocalRandomAndSplittableRandom() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.ringlab.archfixture");
        EvaluationResult result = rules(FIXTURE).get(4).evaluate(fixture);
        String report = String.join("\n", result.getFailureReport().getDetails());
        assertTrue(report.contains("Math.random()"), report);
        assertTrue(report.contains("ThreadLocalRandom"), report);
        assertTrue(report.contains("SplittableRandom.<init>(long)"), report);
    }
}
