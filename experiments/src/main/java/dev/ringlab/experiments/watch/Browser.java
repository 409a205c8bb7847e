package dev.ringlab.experiments.watch;

import java.io.File;
import java.io.IOException;
import java.util.List;

/** Opens a URL in the user's browser for {@code --open}: xdg-open, else chromium; says which, or that there is none. */
final class Browser {
    private Browser() {}

    /** Starts a browser on {@code url} and returns a line for stderr. */
    static String open(String url) {
        for (String cmd : List.of("xdg-open", "chromium", "chromium-browser", "google-chrome")) {
            String path = which(cmd);
            if (path == null) {
                continue;
            }
            try {
                new ProcessBuilder(path, url).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                return "opened " + url + " with " + path;
            } catch (IOException e) {
                // try the next one
            }
        }
        return "--open: no browser found (xdg-open, chromium); open " + url + " yourself";
    }

    private static String which(String cmd) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, cmd);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }
}
