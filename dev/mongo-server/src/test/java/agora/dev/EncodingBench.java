package agora.dev;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * What a commit pays per document it writes, two ways, in rounds alternated within one JVM
 * (bench/standin_encoding.py runs it): mongo-java-server's encoder (the stand-in's before) and the
 * stand-in's own (walking entries). Documents shaped like the platform's: an event's envelope with
 * a payload, a feed entry, a notification with a list.
 */
public final class EncodingBench {

    private EncodingBench() {
    }

    public static void main(String[] args) {
        int documents = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        List<Document> fresh = platformLike(documents);
        long[][] nanos = new long[2][rounds];
        for (int round = 0; round < rounds + WARM_UP; round++) { // the first rounds warm the JIT
            long theirs = time(() -> theirs(fresh));
            long ours = time(() -> ours(fresh));
            if (round >= WARM_UP) {
                nanos[0][round - WARM_UP] = theirs / PASSES;
                nanos[1][round - WARM_UP] = ours / PASSES;
            }
        }
        String[] names = {"mongo-java-server's encoder", "the stand-in's encoder"};
        double base = median(nanos[0]);
        for (int way = 0; way < names.length; way++) {
            double median = median(nanos[way]);
            System.out.printf("%-28s %7.0f ns a document (median of %d rounds of %d; min %.0f, max %.0f)  %.2fx%n",
                names[way], median / documents, rounds, documents,
                (double) Arrays.stream(nanos[way]).min().getAsLong() / documents,
                (double) Arrays.stream(nanos[way]).max().getAsLong() / documents, median / base);
        }
    }

    static List<Document> platformLike(int count) {
        List<Document> documents = new ArrayList<>();
        Instant at = Instant.parse("2026-12-03T14:00:00Z");
        for (int i = 0; i < count; i++) {
            Document document = new Document("_id", new ObjectId());
            switch (i % 3) {
                case 0 -> {
                    document.put("stream_id", "post-" + (i / 7));
                    document.put("version", i % 7);
                    document.put("kind", "PostPublished");
                    document.put("recorded_at", at.plusMillis(i));
                    document.put("correlation_id", "c0ffee-" + i);
                    document.put("payload", new Document("post_id", "post-" + (i / 7))
                        .append("author_id", "member-" + (i % 50)).append("title", "A question about cards " + i)
                        .append("body", "How do I block a lost card without calling the bank? ".repeat(3))
                        .append("category", "cards").append("tags", List.of("cards", "security", "mobile"))
                        .append("visibility", "public").append("created_at", at.plusMillis(i)));
                }
                case 1 -> {
                    document.put("member_id", "member-" + (i % 50));
                    document.put("post_id", "post-" + i);
                    document.put("score", (long) i * 31);
                    document.put("kind", "reply");
                    document.put("seen", i % 2 == 0);
                    document.put("at", at.plusMillis(i));
                }
                default -> {
                    document.put("recipient", "member-" + (i % 50));
                    document.put("items", List.of(new Document("post_id", "post-" + i).append("n", 1),
                        new Document("post_id", "post-" + (i + 1)).append("n", 2)));
                    document.put("unread", i % 9);
                    document.put("updated_at", at.plusMillis(i));
                }
            }
            documents.add(document);
        }
        return documents;
    }

    private static long theirs(List<Document> documents) {
        return encodeAll(documents, BsonEncoder::encodeDocument);
    }

    private static long ours(List<Document> documents) {
        return encodeAll(documents, DocumentType::encode);
    }

    /** Every document through one encoder into one reused buffer: the bytes written. */
    private static long encodeAll(List<Document> documents, BiConsumer<Document, ByteBuf> encoder) {
        ByteBuf out = Unpooled.buffer(1 << 16);
        long bytes = 0;
        for (Document document : documents) {
            out.clear();
            encoder.accept(document, out);
            bytes += out.readableBytes();
        }
        out.release();
        return bytes;
    }

    private static final int WARM_UP = 10;
    /** Passes over the documents a round: a round of some 50 ms, long against a young collection's pause. */
    private static final int PASSES = 10;

    private static long sink;

    private static long time(java.util.function.LongSupplier work) {
        long start = System.nanoTime();
        for (int pass = 0; pass < PASSES; pass++) {
            sink += work.getAsLong();
        }
        return System.nanoTime() - start;
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
