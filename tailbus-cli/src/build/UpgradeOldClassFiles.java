import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.constant.ClassDesc;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A build step of tailbus-cli, run by the JDK's source launcher after the shaded jar is made:
 * {@code java src/build/UpgradeOldClassFiles.java target/tailbus.jar}. It rewrites, in place,
 * every class file of the jar older than Java 6 (class file version below 50) as version 50
 * with stack maps, and leaves every other byte of the jar alone.
 *
 * <p>Design note: picocli is compiled for Java 5 (version 49). The JVM keeps such old classes out
 * of its ahead-of-time cache, and checks them with its slow inferring verifier at every start, so
 * they cost a pipe tool about half of its start-up. Version 50 is the oldest that the cache takes,
 * and the only one for which the JVM falls back to the old verifier should the new stack maps be
 * refused, so the rewritten classes behave exactly as before. The instructions are copied as
 * they are; only the version and the generated {@code StackMapTable} are new.
 */
final class UpgradeOldClassFiles {
    private static final int OLDEST_CACHED = ClassFile.JAVA_6_VERSION;

    private UpgradeOldClassFiles() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java UpgradeOldClassFiles.java JAR");
            System.exit(2);
        }
        Path jar = Path.of(args[0]).toAbsolutePath();
        int upgraded = 0;
        try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
            Path root = zip.getPath("/");
            List<Path> classes;
            try (Stream<Path> walk = Files.walk(root)) {
                classes = walk.filter(p -> p.toString().endsWith(".class") && !p.startsWith("/META-INF")).toList();
            }
            // Stack maps name the common super type of values that meet at a branch, so the
            // generator needs the hierarchy of the jar's classes as well as the JDK's.
            ClassHierarchyResolver inJar = ClassHierarchyResolver.ofResourceParsing((ClassDesc d) -> open(root, d));
            ClassFile files = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                    ClassHierarchyResolver.defaultResolver().orElse(inJar)));
            ClassTransform toVersion50 = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                    .andThen((builder, element) -> {
                        if (element instanceof ClassFileVersion) {
                            builder.withVersion(OLDEST_CACHED, 0);
                        } else {
                            builder.with(element);
                        }
                    });
            for (Path path : classes) {
                byte[] bytes = Files.readAllBytes(path);
                ClassModel model = files.parse(bytes);
                if (model.majorVersion() >= OLDEST_CACHED) {
                    continue;
                }
                try {
                    Files.write(path, files.transformClass(model, toVersion50));
                    upgraded++;
                } catch (IllegalArgumentException e) {
                    // left as it was: it still runs, outside the cache
                    System.err.println("UpgradeOldClassFiles: kept " + path + " as it was: " + e.getMessage());
                }
            }
        }
        System.out.println("UpgradeOldClassFiles: " + upgraded + " class files of " + jar.getFileName()
                + " rewritten as version " + OLDEST_CACHED);
    }

    private static InputStream open(Path root, ClassDesc desc) {
        String descriptor = desc.descriptorString();
        Path file = root.resolve(descriptor.substring(1, descriptor.length() - 1) + ".class");
        try {
            return Files.exists(file) ? new ByteArrayInputStream(Files.readAllBytes(file)) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
