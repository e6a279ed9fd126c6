package dev.tailbus.tailsrv;

import java.nio.file.Path;

/**
 * One file served on one TCP port. Port 0 asks the system for a free port; the bound port is
 * then read from {@link TailServer#port(ServedFile)}.
 */
public record ServedFile(Path path, int port) {
    public ServedFile {
        if (path == null) {
            throw new TailsrvException(TailsrvException.Kind.BAD_INPUT, "a served file needs a path");
        }
        if (port < 0 || port > 65535) {
            throw new TailsrvException(TailsrvException.Kind.BAD_INPUT, "port " + port + " is not in 0..65535");
        }
        path = path.toAbsolutePath().normalize();
    }

    /**
     * Parses {@code PORT:PATH}, the form of {@code --serve}. The port comes first so that the
     * path may itself hold colons.
     */
    public static ServedFile parse(String portAndPath) {
        int colon = portAndPath.indexOf(':');
        if (colon <= 0 || colon == portAndPath.length() - 1) {
            throw new TailsrvException(TailsrvException.Kind.BAD_INPUT,
                    "'" + portAndPath + "' is not PORT:PATH");
        }
        String port = portAndPath.substring(0, colon);
        try {
            return new ServedFile(Path.of(portAndPath.substring(colon + 1)), Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw new TailsrvException(TailsrvException.Kind.BAD_INPUT,
                    "'" + port + "' in '" + portAndPath + "' is not a port number");
        }
    }
}
