// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.profiles.EmbeddedMongo;
import io.smtcheck.profiles.MachineDescription;
import io.smtcheck.profiles.OriginalProfileData;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.PublishedServer;
import io.smtcheck.profiles.StoreSettings;
import io.smtcheck.profiles.StoreUnavailableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Where the profile store is: an external MongoDB, or the embedded server's data directory. */
final class StoreOptions {
    @Option(names = "--mongo-uri", paramLabel = "URI",
            description = "MongoDB to use, e.g. mongodb://host:27017/smtcheck. Default: the embedded server with its"
                    + " data in --data-dir (the running daemon's, when it has that directory).")
    String mongoUri;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Data directory of the embedded server, the same for the daemon and every command. Default: "
                    + ProfileStore.DEFAULT_DATA_DIR_HELP + ".")
    Path dataDir;

    @Option(names = "--node", paramLabel = "NAME",
            description = "The machine whose data to read in the original SMTcheck's store (a --mongo-uri whose database"
                    + " is " + OriginalProfileData.DATABASE + "). Default: the only node there.")
    String node;

    @Option(names = "--machine-description", paramLabel = "FILE",
            description = "Sizes and watermarks of the machine's sequential resources, which reading the original"
                    + " SMTcheck's store needs (format: docs/original-smtcheck.md).")
    Path machineDescription;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    boolean given() {
        return mongoUri != null || dataDir != null;
    }

    /** The embedded server's data directory: --data-dir, else the default one. */
    Path dataDir() {
        return dataDir != null ? dataDir : ProfileStore.defaultDataDir();
    }

    /**
     * Opens the store the options name. When another process (the daemon) has the data directory
     * open, connects to the server it published there.
     *
     * @throws StoreUnavailableException when the embedded server cannot start and no running one answers
     */
    ProfileStore open() {
        if (mongoUri != null) {
            return ProfileStore.connect(mongoUri, StoreSettings.DEFAULT, original());
        }
        original();
        Path dir = dataDir();
        try {
            // The directory's lock decides, not the published file: a daemon killed hard leaves the file behind.
            return ProfileStore.embedded(dir);
        } catch (EmbeddedMongo.InUseException e) {
            return openPublished(dir, e);
        } catch (IOException e) {
            throw new StoreUnavailableException(e.getMessage(), e);
        }
    }

    /**
     * Opens the store for a command that only reads it. A --data-dir that does not exist is refused
     * rather than created: a mistyped path would otherwise read as an empty store and leave a
     * directory behind.
     */
    ProfileStore openToRead() {
        if (mongoUri == null && dataDir != null && !Files.exists(dataDir)) {
            throw new CommandLine.ParameterException(command.commandLine(), "--data-dir " + dataDir
                    + ": no such directory (nothing was stored there; profile, corun and profiles import create it)");
        }
        return open();
    }

    /**
     * How to read the original SMTcheck's store: --node and --machine-description, which only such a
     * store takes.
     */
    OriginalProfileData.Options original() {
        boolean isOriginal = mongoUri != null && ProfileStore.isOriginal(mongoUri);
        if (!isOriginal && (node != null || machineDescription != null)) {
            throw new CommandLine.ParameterException(command.commandLine(), (node != null ? "--node" : "--machine-description")
                    + " applies only to the original SMTcheck's store: a --mongo-uri whose database is "
                    + OriginalProfileData.DATABASE);
        }
        if (node != null && node.isBlank()) {
            throw new CommandLine.ParameterException(command.commandLine(), "--node: the name is empty");
        }
        return new OriginalProfileData.Options(node, machineDescription == null ? null : MachineDescription.read(machineDescription));
    }

    private ProfileStore openPublished(Path dir, EmbeddedMongo.InUseException inUse) {
        PublishedServer server = PublishedServer.read(dir).filter(PublishedServer::alive)
                .orElseThrow(() -> new StoreUnavailableException(inUse.getMessage(), inUse));
        if (!server.answers()) {
            throw new StoreUnavailableException(inUse.getMessage() + "; the server published in "
                    + PublishedServer.file(dir) + " (" + server.uri() + ", process " + server.pid() + ") does not answer",
                    inUse);
        }
        command.commandLine().getErr().printf("%s: %s is in use by process %d (a running daemon?): using its"
                + " embedded server at %s%n", command.name(), dir, server.pid(), server.uri());
        return ProfileStore.connect(server, dir);
    }
}
