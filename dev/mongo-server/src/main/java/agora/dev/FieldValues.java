package agora.dev;

import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;

/**
 * A document's value at a field path, as mongo-java-server's
 * {@code Utils.getSubdocumentValueCollectionAware} gives it, with a top-level field read directly.
 *
 * <p>Why: mongo-java-server splits every path with a regular expression into a new list (a
 * stream, a matcher, a list) before it looks the field up, each time an index reads a document's
 * key — three times per document inserted under a unique index, once per document and index at
 * an index build, once per document a sorted page walks. Beside a replay (a rebuild inserting its
 * documents, then building its indexes, while reading the log in order) that splitting was about
 * a seventh of what the stand-in allocated and a quarter of its field lookups' time
 * (docs/architecture.md, "The stand-in beside a replay"). For a path without a dot the split
 * gives the path itself and the value is the document's own field (or {@code Missing}): that is
 * read here without splitting; every other path ({@code "a.b"}, an empty or odd one, {@code "$"})
 * goes to mongo-java-server's own reading, errors included.
 */
final class FieldValues {

    private FieldValues() {
    }

    /** The value at `path` (a collection's elements for a path through arrays), or {@code Missing}. */
    static Object at(Document document, String path) {
        if (isTopLevel(path)) {
            return document.getOrMissing(path);
        }
        return Utils.getSubdocumentValueCollectionAware(document, path);
    }

    /** Whether `path` names a field of the document itself (read without splitting). */
    static boolean isTopLevel(String path) {
        return !path.isEmpty() && path.indexOf('.') < 0 && !path.equals("$");
    }
}
