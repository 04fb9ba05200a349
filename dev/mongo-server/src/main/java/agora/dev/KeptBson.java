package agora.dev;

import de.bwaldvogel.mongo.bson.Document;

/**
 * The BSON of the documents the store lately read from its file or wrote to it, by identity, so
 * that a commit copies an unchanged document's bytes instead of encoding it again. Why: a commit
 * writes every document of every page it rewrites — a page changes when one of its documents
 * does, and the background compaction rewrites whole pages read back from the file — and that
 * encoding grew from 10 to 27 % of the stand-in's samples between 200 and 2,501 posts (Flight
 * Recorder; docs/architecture.md, "The stand-in's commit: encode less, encode faster").
 *
 * <p>Exact because a document, once stored, is never changed: mongo-java-server's update changes
 * the stored instance in place, so the stand-in stores a fresh copy instead
 * ({@code IndexedH2Backend.IndexedCollection#handleUpdate}); the changed instance is then left only
 * in page versions older than the update, for which its kept bytes are the right ones.
 *
 * <p>Direct-mapped: one slot per identity hash, overwritten by the next document that falls on it
 * (a miss only encodes again), so it is bounded — it keeps at most {@link #SLOTS} documents alive
 * beyond their pages — and takes no lock: a slot holds an immutable pair, published whole (final
 * fields), and a stale read of a slot can only miss or find a pair that is still true.
 */
final class KeptBson {

    /** Counted under `bench cpu --seed 200 --grow 2500` (a build counting): of the documents its
     *  commits wrote, 59 % were copied with 2^15 slots — the rest new or changed documents
     *  (encoded once, necessarily) and ones whose slot had been taken. 2^17 slots copied 78 %, but
     *  the documents they kept alive cost the collector more than the copies saved (its CPU a
     *  post at 2,501 posts 25.5 and 39.8 ms against 10.8 with 2^15 and 11.6 before). */
    private static final int SLOTS = 1 << 15;

    private record Kept(Document document, byte[] bson) {
    }

    private final Kept[] slots = new Kept[SLOTS];

    /** The bytes kept for this very instance, or null. */
    byte[] get(Document document) {
        Kept kept = slots[slot(document)];
        return kept != null && kept.document() == document ? kept.bson() : null;
    }

    void keep(Document document, byte[] bson) {
        slots[slot(document)] = new Kept(document, bson);
    }

    private static int slot(Document document) {
        int hash = System.identityHashCode(document);
        return (hash ^ (hash >>> 15)) & (SLOTS - 1);
    }
}
