// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.StoreUnavailableException;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the profile store is: an external MongoDB, or the embedded server's data directory. */
final class StoreOptions {
    @Option(names = "--mongo-uri", paramLabel = "URI",
            description = "MongoDB to use, e.g. mongodb://host:27017/smtcheck. Default: the embedded server.")
    String mongoUri;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Data directory of the embedded server. Default: $SMTCHECK_DATA_DIR, /var/lib/smtcheck/profiles"
                    + " for root, else ~/.local/share/smtcheck/profiles.")
    Path dataDir;

    boolean given() {
        return mongoUri != null || dataDir != null;
    }

    /**
     * Opens the store the options name.
     *
     * @throws StoreUnavailableException when the embedded server cannot start (its directory in use)
     */
    ProfileStore open() {
        if (mongoUri != null) {
            return ProfileStore.connect(mongoUri);
        }
        Path dir = dataDir != null ? dataDir : ProfileStore.defaultDataDir();
        try {
            return ProfileStore.embedded(dir);
        } catch (IOException e) {
            throw new StoreUnavailableException(e.getMessage(), e);
        }
    }
}
