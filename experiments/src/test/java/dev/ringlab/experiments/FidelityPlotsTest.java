package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FidelityPlotsTest {
    /** Model points in their topology's colour with bars, baselines grey, the legend outside, PNG and SVG. */
    @Test
    void writesThePredictedVsMeasuredScatter(@TempDir Path dir) throws Exception {
        List<FidelityPlots.Point> points = List.of(
                new FidelityPlots.Point("ring", "p50", true, 6.4, 5.0, 0.5),
                new FidelityPlots.Point("ring", "p50", false, 6.4, 3.0, Double.NaN),
                new FidelityPlots.Point("ring", "p99", true, 30, 20, 40), // a bar below 0 on a log axis: none drawn
                new FidelityPlots.Point("random-regular:4", "p50", true, 1.2, 0.6, 0.1),
                new FidelityPlots.Point("random-regular:4", "p50", false, 1.2, 0.2, Double.NaN),
                new FidelityPlots.Point("recovery", "detect_ms", true, 281, 246, Double.NaN),
                new FidelityPlots.Point("recovery", "repair_ms", false, 0, 55, Double.NaN)); // measured 0: left out
        FidelityPlots.save(dir, "f", "predicted vs measured", points);
        BufferedImage png = ImageIO.read(dir.resolve("f.png").toFile());
        assertEquals(1000, png.getWidth());
        // XChart's SVG draws its text as paths, so the check reads colours from the PNG: the first topology in
        // the palette's first colour, the baselines grey, the second topology in the second colour.
        assertTrue(count(png, Plots.PALETTE[0].getRGB()) > 20, "no ring-coloured marker");
        assertTrue(count(png, Plots.PALETTE[1].getRGB()) > 20, "no random-regular:4-coloured marker");
        assertTrue(count(png, 0xFF999999) > 20, "no grey baseline marker");
        assertTrue(Files.size(dir.resolve("f.svg")) > 1000 && Files.readString(dir.resolve("f.svg")).contains("<svg"));
    }

    private static int count(BufferedImage img, int argb) {
        int k = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if (img.getRGB(x, y) == argb) {
                    k++;
                }
            }
        }
        return k;
    }
}
