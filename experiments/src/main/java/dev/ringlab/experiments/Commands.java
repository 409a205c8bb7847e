package dev.ringlab.experiments;

import java.util.List;

/** The subcommands of {@code ringlab}, in the order {@code --help} lists them. Add new commands here. */
final class Commands {
    private Commands() {}

    static List<Object> all() {
        return List.of(
                new TopologyCommand(),
                new SimBenchCommand(),
                new BroadcastCommand(),
                new TokenCommand(),
                new DatacentersCommand(),
                new CompareCommand(),
                new ResilienceCommand(),
                new RunCommand(),
                new SubmitCommand(), new CollectCommand(),
                new ReplayCommand(),
                new CalibrateCommand(),
                new FidelityCommand(),
                new RecoverCommand(),
                new ConfigCommand(),
                new CatalogCommand(),
                new CacheCommand(),
                new RecoverSweepCommand(),
                new CheckCommand(),
                new NodeCommand(),
                new BenchCommand(),
                new SoakCommand(),
                new dev.ringlab.experiments.watch.WatchCommand()
        );
    }
}
