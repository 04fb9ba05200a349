package agora.dev;

import de.bwaldvogel.mongo.MongoServer;

import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVStore;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Local, MongoDB-wire-compatible stand-in for development and tests: mongo-java-server with its
 * H2 (MVStore) backend, so data survives restarts. Started and stopped by dev/stack.sh; never used
 * in production (the application code is plain pymongo and runs on real MongoDB 7+).
 * Non-unique and compound indexes are ordered and serve equality, ranges, sorts and counts
 * ({@link IndexedH2Backend}), so the stand-in keeps MongoDB's performance shape: an indexed query,
 * or a sorted and limited page of one, does not slow down as data grows.
 *
 * Options (command line wins over environment):
 *   --host H   / AGORA_MONGO_HOST   bind address (default 127.0.0.1)
 *   --port P   / AGORA_MONGO_PORT   port (default 27017)
 *   --file F   / AGORA_MONGO_FILE   H2 MVStore file (default .state/mongodb/agora.mv.db)
 *   AGORA_MONGO_CACHE_MB             H2 page cache in MB (default 256)
 *   AGORA_MONGO_FILL_RATE            chunks' fill rate below which the store compacts, % (default 90)
 *   AGORA_MONGO_PAGE_SPLIT           a page's estimated memory past which it splits, bytes (default 16384)
 *   AGORA_MONGO_COMMIT_BUFFER_MB     changed pages' estimated memory that starts a commit, MB (default: a
 *                                    sixteenth of the heap, 128 for the stack's 2 GB)
 *
 * SIGTERM/SIGINT run a shutdown hook that stops listening, closes client connections and closes the
 * H2 store (a final commit), so the file is consistent on disk.
 */
public final class MongoStandIn {

    /** MVStore's default, stated: what a killed stand-in may lose (docs/architecture.md). */
    static final int COMMIT_DELAY_MILLIS = 1000;

    /**
     * The store compacts (moves the live pages of its least-filled chunks into new ones) while the
     * chunks' fill rate is below this percentage (its square while the store is busy: 90 → 81 %).
     * H2's own default, stated: under a platform's writes at 2,500 posts the background writer's
     * compaction was 16-20 % of the stand-in's samples during new posts (1 % at 200), each page
     * read back, decoded and encoded again at the next commit. A lower rate (AGORA_MONGO_FILL_RATE)
     * trades file size for that work; measured once, not yet adopted (docs/architecture.md, "The
     * stand-in's collector and its background compaction").
     */
    static final int FILL_RATE = 90;

    /**
     * A page (of more than one entry) splits once its estimated memory passes this many bytes; a
     * page also splits past 48 keys (H2's keysPerPage), whatever their size. H2 2.3's own value,
     * stated and kept: a commit writes every document of every page a change touched (~570 per
     * new post), and at 8 KB and 4 KB it wrote 0.64x and 0.55x the documents but in 1.28x and
     * 1.86x the pages, for no less CPU per post (docs/architecture.md, "The stand-in's pages").
     * AGORA_MONGO_PAGE_SPLIT is there to compare sizes again.
     */
    static final int PAGE_SPLIT = 16 * 1024;

    /**
     * A commit starts once the changed pages' estimated memory passes this share of the heap (or
     * COMMIT_DELAY_MILLIS after a change, whichever comes first). H2's own threshold is 19 MB
     * whatever the heap: under a platform's new posts at 2,500 posts that is a commit every few
     * posts, each rewriting the hot pages (the logs' last leaves, the cursors, the counters) again
     * and leaving their previous copies to the collector, which took twice the CPU and pause time
     * it takes when the commits wait for the delay (docs/architecture.md, "The stand-in's commit
     * buffer"). A sixteenth of the heap: 128 MB for the stack's 2 GB, 32 MB for a test's 512 MB.
     */
    static final int COMMIT_BUFFER_HEAP_DIVISOR = 16;

    private MongoStandIn() {
    }

    public static void main(String[] args) throws Exception {
        String host = env("AGORA_MONGO_HOST", "127.0.0.1");
        String port = env("AGORA_MONGO_PORT", "27017");
        String file = env("AGORA_MONGO_FILE", ".state/mongodb/agora.mv.db");
        int cacheMegabytes = Integer.parseInt(env("AGORA_MONGO_CACHE_MB", "256"));
        int fillRate = Integer.parseInt(env("AGORA_MONGO_FILL_RATE", String.valueOf(FILL_RATE)));
        int pageSplit = Integer.parseInt(env("AGORA_MONGO_PAGE_SPLIT", String.valueOf(PAGE_SPLIT)));
        long heapShare = Runtime.getRuntime().maxMemory() / COMMIT_BUFFER_HEAP_DIVISOR / (1024 * 1024);
        int commitBuffer = Integer.parseInt(env("AGORA_MONGO_COMMIT_BUFFER_MB",
            String.valueOf(Math.max(1, Math.min(1024, heapShare)))));
        if (commitBuffer < 1 || commitBuffer > 1024) {
            fail("AGORA_MONGO_COMMIT_BUFFER_MB is not between 1 and 1024: " + commitBuffer);
        }
        if (pageSplit < 1024 || pageSplit > 1024 * 1024) {
            fail("AGORA_MONGO_PAGE_SPLIT is not between 1024 and 1048576 bytes: " + pageSplit);
        }

        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--host" -> host = value(args, ++i, arg);
                case "--port" -> port = value(args, ++i, arg);
                case "--file" -> file = value(args, ++i, arg);
                case "-h", "--help" -> {
                    System.out.println("usage: MongoStandIn [--host H] [--port P] [--file F]");
                    return;
                }
                default -> fail("unknown argument: " + arg);
            }
        }

        int portNumber = 0;
        try {
            portNumber = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            fail("port is not a number: " + port);
        }

        Path dataFile = Path.of(file).toAbsolutePath();
        try {
            Files.createDirectories(dataFile.getParent());
        } catch (IOException e) {
            fail("cannot create " + dataFile.getParent() + ": " + e);
        }

        // A page cache that holds a developer's working set (H2's default is 16 MB): past it,
        // every lookup decompresses pages again and costs grow with the data, indexed or not.
        MVStore store = new MVStore.Builder().fileName(dataFile.toString()).cacheSize(cacheMegabytes)
            .autoCompactFillRate(fillRate).autoCommitBufferSize(commitBuffer * 1024).open();
        splitPagesAt(store, pageSplit);
        // Durability: changes are written to the file by a background commit at most this long after
        // they were made (or sooner, once the commit buffer is full); a killed stand-in loses at most the
        // last second of writes, a stopped one nothing (closing commits). MongoDB's journal: 100 ms.
        store.setAutoCommitDelay(COMMIT_DELAY_MILLIS);
        IndexedH2Backend backend = new IndexedH2Backend(store);
        MongoServer server = new MongoServer(backend);
        CountDownLatch stopped = new CountDownLatch(1);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("mongo stand-in: shutting down");
            try {
                server.shutdown(); // stops listening, closes connections, then closes the backend
            } catch (RuntimeException e) {
                System.err.println("mongo stand-in: error during shutdown: " + e);
                try {
                    backend.close();
                } catch (RuntimeException ignored) {
                    // already closed or unusable: nothing more to do
                }
            }
            stopped.countDown();
            System.out.println("mongo stand-in: stopped");
        }, "mongo-stand-in-shutdown"));

        try {
            server.bind(host, portNumber);
        } catch (RuntimeException e) {
            backend.close();
            fail("cannot listen on " + host + ":" + portNumber + ": " + e);
        }
        System.out.println("mongo stand-in: listening on " + host + ":" + portNumber + ", data in " + dataFile
            + ", pages split at " + store.getMaxPageSize() + " bytes, commits past " + commitBuffer + " MB");
        stopped.await();
    }

    /**
     * Pages split past {@code bytes} of estimated memory. Why not {@code MVStore.Builder.pageSplitSize}:
     * H2 2.3 accepts it and ignores it — its FileStore fixes the size at 16 KB when it builds its
     * page cache (or less for a cache too small to hold such pages) and keeps it in a final field,
     * which MVMap reads at every write that may split a page. So the field is set, before any map
     * is opened; the file's format does not depend on it (a page is written with whatever it holds,
     * and read whatever its size), so files written with another size are read as they are.
     */
    private static void splitPagesAt(MVStore store, int bytes) {
        if (store.getMaxPageSize() == bytes) {
            return;
        }
        try {
            Field maxPageSize = FileStore.class.getDeclaredField("maxPageSize");
            maxPageSize.setAccessible(true);
            maxPageSize.setInt(store.getFileStore(), bytes);
        } catch (ReflectiveOperationException | RuntimeException e) {
            fail("cannot set the page split size (H2 changed?): " + e);
        }
        if (store.getMaxPageSize() != bytes) {
            fail("the page split size did not take: " + store.getMaxPageSize() + " bytes, not " + bytes);
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            fail(option + " needs a value");
        }
        return args[index];
    }

    private static void fail(String message) {
        System.err.println("mongo stand-in: " + message);
        System.exit(2);
    }
}
