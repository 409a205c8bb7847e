package dev.ringlab.archfixture;

import java.util.Random;

/**
 * Deliberately breaks every rule of {@code NodePurityTest}: the test applies its rules here too and
 * expects each to fire, so a rule that silently matches nothing (a typo in a package pattern, a wrong
 * method name) fails the build instead of passing forever.
 */
final class ForbiddenNode {
    long clock() {
        return System.nanoTime() + System.currentTimeMillis();
    }

    int random() {
        return new Random().nextInt() + new Random(42).nextInt();
    }

    double otherRandomSources() {
        return Math.random() + java.util.concurrent.ThreadLocalRandom.current().nextDouble()
                + new java.util.SplittableRandom(7).nextDouble();
    }

    void sleep() throws InterruptedException {
        Thread.sleep(1);
    }

    Object socket() throws java.io.IOException {
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open()) {
            return new java.net.InetSocketAddress(0).toString() + ch.isOpen();
        }
    }
}
