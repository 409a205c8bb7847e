package dev.ringlab.node.spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A link model by location pair: a message from node {@code a} to node {@code b} draws its latency from the
 * model of the pair (datacenter of a, datacenter of b), the datacenters given by a {@link Placement}. One
 * {@link LinkModel}, so the simulator applies it exactly and the real engines through their seeded send-path
 * emulation, as every other link model.
 *
 * <h2>Spec</h2>
 * <pre>
 *   dc:intra=L;inter=L              L a latency spec (const:40ms, lognormal:200us,0.3, uniform:..., empirical:FILE)
 *   dc:intra=L;inter=matrix:FILE    a per-datacenter-pair matrix (format below)
 * </pre>
 * e.g. {@code dc:intra=lognormal:200us,0.3;inter=const:40ms}. Both keys are required. Such a spec needs a
 * placement ({@code --placement}); a spec may instead carry the assignment itself as {@code ;at=d0,d1,...}
 * (0-based datacenter per position): that is the form {@link #spec()} prints and a real engine's node process
 * parses, so it is self-contained (the matrix is named by its absolute path).
 *
 * <h2>Matrix file</h2>
 * UTF-8 text; blank lines and lines starting with {@code #} are ignored; one row per datacenter in order
 * (dc1 first), entries separated by blanks; row = sending datacenter, column = receiving one, so an
 * asymmetric matrix is allowed. An entry is {@code -} on the diagonal (the pair uses {@code intra}), or
 * {@code LATENCY} or {@code LATENCY/LOSS}: LATENCY a duration ({@code 40ms}, meaning {@code const:40ms}) or a
 * const/uniform/lognormal spec; LOSS a probability in 0..1 that a message of that pair is lost, on top of
 * the run's {@code --loss} (independently: a message survives both). A diagonal entry with a latency
 * overrides {@code intra} for that datacenter. The matrix must have as many rows and columns as the
 * placement has datacenters. See {@code examples/dc-three-regions.matrix}.
 *
 * <p>Loss: the intra and inter specs carry none; only matrix entries add per-pair loss
 * ({@link #lossProbability}).
 */
public final class DcLinkModel implements LinkModel {
    /** The forms, for error messages. */
    public static final String FORMS = "dc:intra=L;inter=L or dc:intra=L;inter=matrix:FILE (L a latency spec, "
            + "e.g. dc:intra=lognormal:200us,0.3;inter=const:40ms; needs --placement)";

    private final LinkModel[][] models;
    private final double[][] loss;
    private final int[] dcOf;
    private final String intraSpec;
    private final String interSpec;
    private final long max;
    private final boolean anyLoss;

    private DcLinkModel(LinkModel[][] models, double[][] loss, int[] dcOf, String intraSpec, String interSpec) {
        this.models = models;
        this.loss = loss;
        this.dcOf = dcOf;
        this.intraSpec = intraSpec;
        this.interSpec = interSpec;
        long m = 0;
        boolean l = false;
        for (int a = 0; a < models.length; a++) {
            for (int b = 0; b < models.length; b++) {
                m = Math.max(m, models[a][b].maxNanos());
                l |= loss[a][b] > 0;
            }
        }
        this.max = m;
        this.anyLoss = l;
    }

    /** Whether {@code spec} is a datacenter spec ({@code dc:...}). */
    public static boolean isDcSpec(String spec) {
        return spec != null && spec.trim().toLowerCase(Locale.ROOT).startsWith("dc:");
    }

    /** Whether a dc spec carries its own assignment ({@code ;at=}) and so needs no placement. */
    public static boolean carriesAssignment(String spec) {
        return isDcSpec(spec) && parts(spec).at != null;
    }

    /**
     * Checks a dc spec's syntax and its parts (the matrix file included) without a placement.
     *
     * @throws IllegalArgumentException naming the bad part
     */
    public static void check(String spec) {
        Parts p = parts(spec);
        LinkModels.parse(p.intra);
        if (p.matrixFile == null) {
            LinkModels.parse(p.inter);
        } else {
            Matrix.read(Path.of(p.matrixFile));
        }
    }

    /**
     * The model of {@code spec} on {@code placement} (null: the spec must carry {@code at=}).
     *
     * @throws IllegalArgumentException for a bad spec, a matrix that does not fit the placement, or no placement
     */
    public static DcLinkModel parse(String spec, Placement placement) {
        Parts p = parts(spec);
        int[] dcOf;
        int dcs;
        if (p.at != null) {
            dcOf = p.at;
            int top = 0;
            for (int d : dcOf) {
                top = Math.max(top, d);
            }
            dcs = top + 1;
            if (placement != null && !java.util.Arrays.equals(placement.dcOf(), dcOf)) {
                throw bad(spec, "its at= assignment differs from the placement " + placement);
            }
        } else if (placement != null) {
            dcOf = placement.dcOf();
            dcs = placement.dcs();
        } else {
            throw new IllegalArgumentException("latency spec '" + spec + "' is by datacenter and needs a placement: give "
                    + "--placement " + Placement.FORM);
        }
        LinkModel intra = LinkModels.parse(p.intra);
        LinkModel[][] models = new LinkModel[dcs][dcs];
        double[][] loss = new double[dcs][dcs];
        String interSpec;
        if (p.matrixFile != null) {
            Path file = Path.of(p.matrixFile).toAbsolutePath().normalize();
            Matrix m = Matrix.read(file);
            if (m.size() != dcs) {
                throw new IllegalArgumentException("latency matrix " + file + " has " + m.size() + " rows for " + dcs
                        + " datacenters: it needs one row and one column per datacenter");
            }
            for (int a = 0; a < dcs; a++) {
                for (int b = 0; b < dcs; b++) {
                    models[a][b] = m.latency[a][b] == null ? intra : m.latency[a][b];
                    loss[a][b] = m.loss[a][b];
                }
            }
            interSpec = "matrix:" + file;
        } else {
            LinkModel inter = LinkModels.parse(p.inter);
            for (int a = 0; a < dcs; a++) {
                for (int b = 0; b < dcs; b++) {
                    models[a][b] = a == b ? intra : inter;
                }
            }
            interSpec = inter.spec();
        }
        return new DcLinkModel(models, loss, dcOf, intra.spec(), interSpec);
    }

    @Override
    public long sampleNanos(int from, int to, RandomGenerator random) {
        return models[dcOf[from]][dcOf[to]].sampleNanos(from, to, random);
    }

    @Override
    public double lossProbability(int from, int to) {
        return anyLoss ? loss[dcOf[from]][dcOf[to]] : 0;
    }

    @Override
    public long maxNanos() {
        return max;
    }

    /** Datacenters the model distinguishes. */
    public int dcs() {
        return models.length;
    }

    /** The model of messages from datacenter {@code a} to datacenter {@code b} (0-based). */
    public LinkModel pair(int a, int b) {
        return models[a][b];
    }

    /** The self-contained spec: {@code dc:intra=..;inter=..;at=..} (the matrix by absolute path). */
    @Override
    public String spec() {
        StringBuilder sb = new StringBuilder("dc:intra=").append(intraSpec).append(";inter=").append(interSpec).append(";at=");
        for (int i = 0; i < dcOf.length; i++) {
            sb.append(i == 0 ? "" : ",").append(dcOf[i]);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "dc:intra=" + intraSpec + ";inter=" + interSpec;
    }

    // ---------------------------------------------------------------------------------------------

    private record Parts(String intra, String inter, String matrixFile, int[] at) {}

    private static Parts parts(String spec) {
        Objects.requireNonNull(spec, "spec");
        String s = spec.trim();
        if (!s.toLowerCase(Locale.ROOT).startsWith("dc:")) {
            throw bad(spec, "does not start with dc:");
        }
        String intra = null;
        String inter = null;
        int[] at = null;
        for (String part : s.substring(3).split(";", -1)) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw bad(spec, "'" + part + "' is not KEY=VALUE");
            }
            String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = part.substring(eq + 1).trim();
            if (value.isEmpty()) {
                throw bad(spec, key + "= is empty");
            }
            switch (key) {
                case "intra" -> intra = value;
                case "inter" -> inter = value;
                case "at" -> at = assignment(spec, value);
                default -> throw bad(spec, "unknown key '" + key + "' (keys: intra, inter)");
            }
        }
        if (intra == null || inter == null) {
            throw bad(spec, "needs both intra= and inter=");
        }
        if (isDcSpec(intra) || isDcSpec(inter)) {
            throw bad(spec, "intra and inter are plain latency specs, not dc: specs");
        }
        String matrix = inter.toLowerCase(Locale.ROOT).startsWith("matrix:") ? inter.substring("matrix:".length()).trim() : null;
        if (matrix != null && matrix.isEmpty()) {
            throw bad(spec, "inter=matrix: names no file");
        }
        return new Parts(intra, inter, matrix, at);
    }

    private static int[] assignment(String spec, String value) {
        String[] p = value.split(",", -1);
        int[] at = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            try {
                at[i] = Integer.parseInt(p[i].trim());
            } catch (NumberFormatException e) {
                throw bad(spec, "at= entry '" + p[i] + "' is not a datacenter number");
            }
            if (at[i] < 0) {
                throw bad(spec, "at= entry " + at[i] + " is negative");
            }
        }
        return at;
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("bad latency spec '" + spec + "': " + why + "; forms: " + FORMS);
    }

    /** A parsed matrix file: per (from, to) datacenter a model (null: intra) and a loss probability. */
    record Matrix(LinkModel[][] latency, double[][] loss) {
        int size() {
            return latency.length;
        }

        /** @throws IllegalArgumentException naming the file and line of the first problem */
        static Matrix read(Path file) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException | UncheckedIOException e) {
                throw new IllegalArgumentException("cannot read latency matrix " + file + ": " + e.getMessage(), e);
            }
            List<String[]> rows = new ArrayList<>();
            List<Integer> lineNo = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).trim();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                rows.add(line.split("\\s+"));
                lineNo.add(i + 1);
            }
            int k = rows.size();
            if (k == 0) {
                throw new IllegalArgumentException("latency matrix " + file + " holds no row");
            }
            LinkModel[][] latency = new LinkModel[k][k];
            double[][] loss = new double[k][k];
            for (int a = 0; a < k; a++) {
                String[] row = rows.get(a);
                String where = file + " line " + lineNo.get(a);
                if (row.length != k) {
                    throw new IllegalArgumentException(where + ": " + row.length + " entries, but the matrix has " + k
                            + " rows: it must be square (one row and one column per datacenter)");
                }
                for (int b = 0; b < k; b++) {
                    String e = row[b];
                    if (e.equals("-")) {
                        if (a != b) {
                            throw new IllegalArgumentException(where + ": entry " + (b + 1) + " is '-', which only the "
                                    + "diagonal may be (it means: use intra)");
                        }
                        continue;
                    }
                    int slash = e.lastIndexOf('/');
                    String lat = slash < 0 ? e : e.substring(0, slash);
                    if (slash >= 0) {
                        String p = e.substring(slash + 1);
                        double q;
                        try {
                            q = Double.parseDouble(p);
                        } catch (NumberFormatException ex) {
                            throw new IllegalArgumentException(where + ": entry " + (b + 1) + " '" + e + "': loss '" + p
                                    + "' is not a number (form LATENCY or LATENCY/LOSS)");
                        }
                        if (!(q >= 0 && q <= 1)) {
                            throw new IllegalArgumentException(where + ": entry " + (b + 1) + " '" + e + "': loss must be in "
                                    + "0..1, got " + p);
                        }
                        loss[a][b] = q;
                    }
                    try {
                        latency[a][b] = lat.contains(":") ? entrySpec(lat) : LinkModel.constant(Durations.parseNanos(lat));
                    } catch (IllegalArgumentException ex) {
                        throw new IllegalArgumentException(where + ": entry " + (b + 1) + " '" + e + "': " + ex.getMessage()
                                + " (an entry is -, LATENCY or LATENCY/LOSS; LATENCY a duration such as 40ms or a "
                                + "const:/uniform:/lognormal: spec)");
                    }
                }
            }
            return new Matrix(latency, loss);
        }

        private static LinkModel entrySpec(String lat) {
            String kind = lat.substring(0, lat.indexOf(':')).toLowerCase(Locale.ROOT);
            if (!kind.equals("const") && !kind.equals("uniform") && !kind.equals("lognormal")) {
                throw new IllegalArgumentException("kind '" + kind + "' is not allowed in a matrix");
            }
            return LinkModels.parse(lat);
        }
    }
}
