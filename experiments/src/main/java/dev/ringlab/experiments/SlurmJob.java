package dev.ringlab.experiments;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A Slurm array job that runs a study's cells: task {@code i} (1-based, as {@code SLURM_ARRAY_TASK_ID}) runs
 * {@code ringlab run --resume STUDY --cells tasks[i-1]}, which writes only those cells' directories, so the
 * tasks share the study directory without sharing a file; {@code ringlab collect STUDY} then writes run.json and
 * cells.csv. The script is plain bash with {@code #SBATCH} lines, so it can be read, kept with the study, and
 * submitted again by hand ({@code sbatch STUDY/slurm/job-1.sh}).
 *
 * <p>Escaping: the shell lines quote every path and word ({@link Replay#quote}); {@code #SBATCH} lines are read
 * by sbatch, not by a shell, and {@code --output} expands {@code %} patterns, so a value there may not hold a
 * blank, a quote, a backslash or {@code %}: {@link #check} refuses such a study path or option rather than
 * writing a script that sbatch would read differently.
 *
 * @param name the study's name (the job's name is {@code ringlab-NAME})
 * @param studyDir the study directory, absolute: on a file system every node sees
 * @param tasks per task, the cells it runs as a {@code --cells} list ({@code 1-4,9})
 * @param javaBin the java binary the tasks run (Java 21 or newer, on every node)
 * @param javaOptions JVM options of the tasks ({@code -Xmx3g})
 * @param classpath the tasks' class path: the study's copy of the ringlab jar first
 * @param cpusPerTask {@code --cpus-per-task}
 * @param sbatchOptions further sbatch options, one word each ({@code --partition=short}), passed through
 */
record SlurmJob(String name, Path studyDir, List<String> tasks, String javaBin, List<String> javaOptions, List<String> classpath,
        int cpusPerTask, List<String> sbatchOptions) {

    /** Characters an {@code #SBATCH} value may hold: no blank, quote, backslash or {@code %} (an --output pattern). */
    private static final Pattern SBATCH_WORD = Pattern.compile("[^\\s'\"\\\\%#]+");

    /** sbatch options ringlab writes itself, so a passed-through one would contradict the script. */
    static final Set<String> OWN_OPTIONS = Set.of("-a", "--array", "-o", "--output", "-e", "--error", "-J", "--job-name",
            "-c", "--cpus-per-task", "-W", "--wait", "--parsable");

    SlurmJob {
        tasks = List.copyOf(tasks);
        javaOptions = List.copyOf(javaOptions);
        classpath = List.copyOf(classpath);
        sbatchOptions = List.copyOf(sbatchOptions);
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("a job of no task");
        }
        if (!studyDir.isAbsolute()) {
            throw new IllegalArgumentException("study directory must be absolute: " + studyDir);
        }
    }

    /** The log of task {@code task} of array job {@code jobId}, as {@code --output} names it. */
    static Path log(Path studyDir, String jobId, int task) {
        return studyDir.resolve("slurm").resolve(jobId + "-" + task + ".log");
    }

    /**
     * Splits {@code cells} (ascending cell numbers) into tasks in order: {@code cellsPerTask} each (the last one
     * fewer), or, with {@code tasks}, that many tasks whose sizes differ by at most one (fewer when there are
     * fewer cells). Exactly one of the two is non-null.
     */
    static List<String> chunks(List<Integer> cells, Integer cellsPerTask, Integer tasks) {
        if ((cellsPerTask == null) == (tasks == null)) {
            throw new IllegalArgumentException("give cellsPerTask or tasks");
        }
        List<String> out = new ArrayList<>();
        int n = cells.size();
        if (cellsPerTask != null) {
            for (int i = 0; i < n; i += cellsPerTask) {
                out.add(compact(cells.subList(i, Math.min(n, i + cellsPerTask))));
            }
        } else {
            int t = Math.min(tasks, n);
            for (int k = 0; k < t; k++) {
                out.add(compact(cells.subList((int) ((long) k * n / t), (int) ((long) (k + 1) * n / t))));
            }
        }
        return out;
    }

    /** Ascending cell numbers as a {@code --cells} list: runs of consecutive numbers as {@code a-b}. */
    static String compact(List<Integer> cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); ) {
            int j = i;
            while (j + 1 < cells.size() && cells.get(j + 1) == cells.get(j) + 1) {
                j++;
            }
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(cells.get(i));
            if (j > i) {
                b.append('-').append(cells.get(j));
            }
            i = j + 1;
        }
        return b.toString();
    }

    /**
     * Checks a value bound for an {@code #SBATCH} line.
     *
     * @throws UsageException naming {@code flag}
     */
    static void check(String flag, String value) {
        if (!SBATCH_WORD.matcher(value).matches()) {
            throw new UsageException(flag, "'" + value + "' holds a blank, quote, backslash, '%' or '#', which an #SBATCH line "
                    + "cannot carry as written; " + (flag.equals("--out") ? "choose a results root without them"
                    : "give the option without them"));
        }
    }

    /**
     * Checks a passed-through sbatch option: one word starting with {@code -}, not one ringlab sets itself.
     *
     * @throws UsageException naming {@code --sbatch-arg}
     */
    static void checkOption(String option) {
        if (!option.startsWith("-")) {
            throw new UsageException("--sbatch-arg", "an sbatch option such as --account=abc or --mem=8G, got '" + option + "'");
        }
        String key = option.contains("=") ? option.substring(0, option.indexOf('=')) : option;
        if (OWN_OPTIONS.contains(key) || (key.length() > 2 && !key.startsWith("--") && OWN_OPTIONS.contains(key.substring(0, 2)))) {
            throw new UsageException("--sbatch-arg", key + " is written by ringlab submit (array, output log, job name, "
                    + "--cpus-per-task, --wait are its own flags or fixed); drop it");
        }
        check("--sbatch-arg", option);
    }

    /** The job script. */
    String script() {
        check("--out", studyDir.toString());
        sbatchOptions.forEach(SlurmJob::checkOption);
        String study = Replay.quote(studyDir.toString());
        StringBuilder b = new StringBuilder();
        b.append("#!/bin/bash\n");
        b.append(String.format(Locale.ROOT, "# ringlab study %s: %d array task(s), written by ringlab submit %s.%n", name,
                tasks.size(), Main.version()));
        b.append("# Task i runs its cells with 'ringlab run --resume STUDY --cells LIST', which writes only STUDY/cells/cNNN/;\n");
        b.append("# when every task has ended: ringlab collect ").append(study).append('\n');
        b.append("#SBATCH --job-name=ringlab-").append(name).append('\n');
        b.append("#SBATCH --array=1-").append(tasks.size()).append('\n');
        b.append("#SBATCH --output=").append(studyDir.resolve("slurm")).append("/%A-%a.log\n");
        b.append("#SBATCH --cpus-per-task=").append(cpusPerTask).append('\n');
        for (String o : sbatchOptions) {
            b.append("#SBATCH ").append(o).append('\n');
        }
        b.append("set -euo pipefail\n");
        b.append("cells=(\n");
        for (int i = 0; i < tasks.size(); i++) {
            b.append("  [").append(i + 1).append("]=").append(Replay.quote(tasks.get(i))).append('\n');
        }
        b.append(")\n");
        b.append("list=\"${cells[${SLURM_ARRAY_TASK_ID:?this script is a Slurm array job: sbatch it}]}\"\n");
        StringBuilder cmd = new StringBuilder("exec ").append(Replay.quote(javaBin));
        for (String o : javaOptions) {
            cmd.append(' ').append(Replay.quote(o));
        }
        cmd.append(" -cp ").append(Replay.quote(String.join(":", classpath)));
        cmd.append(" dev.ringlab.experiments.Main run --resume ").append(study).append(" --cells \"$list\"");
        b.append(cmd).append('\n');
        return b.toString();
    }
}
