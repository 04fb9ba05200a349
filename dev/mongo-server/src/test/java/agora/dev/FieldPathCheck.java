package agora.dev;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The stand-in's own reading of index keys against mongo-java-server's: {@link FieldValues#at}
 * gives what {@code Utils.getSubdocumentValueCollectionAware} gives (or throws what it throws) for
 * every path on documents holding arrays, sub-documents, nulls and absent fields; and a
 * {@link UniqueIndex} keys, refuses and accepts exactly as mongo-java-server's unique index does
 * (plain and sparse, single and compound, top-level and dotted fields, arrays, numbers that
 * normalize alike), the same documents and the same error messages, with the same entries left.
 * Run by tests/integration/kit/test_standin_field_paths.py against the built stand-in; exits
 * non-zero, naming the case, on the first difference.
 */
public final class FieldPathCheck {

    /** The collection a duplicate key error names (only its name is asked for). */
    @SuppressWarnings("unchecked")
    private static final MongoCollection<Object> COLLECTION = (MongoCollection<Object>) Proxy.newProxyInstance(
        FieldPathCheck.class.getClassLoader(), new Class<?>[] {MongoCollection.class}, (proxy, method, arguments) -> {
            if (method.getName().equals("getFullName")) {
                return "check.items";
            }
            throw new UnsupportedOperationException(method.getName());
        });

    private FieldPathCheck() {
    }

    public static void main(String[] args) {
        int paths = checkPaths();
        int inserts = checkUniqueIndexes();
        int entries = checkIndexEntries();
        System.out.println("same values for " + paths + " paths, same answers for " + inserts + " inserts and same "
            + entries + " index entries");
    }

    private static int checkPaths() {
        int checked = 0;
        for (Document document : documents()) {
            for (String path : List.of("_id", "a", "b", "n", "absent", "a.b", "a.0", "list", "list.x", "list.0",
                                       "nested", "nested.y", "nested.y.z", "", "$", ".a", "a.", "a..b", "nul")) {
                String theirs = outcome(() -> Utils.getSubdocumentValueCollectionAware(document, path));
                String ours = outcome(() -> FieldValues.at(document, path));
                check(theirs.equals(ours), "path " + path + " of " + document + ": " + theirs + " against " + ours);
                checked++;
            }
        }
        return checked;
    }

    private static int checkUniqueIndexes() {
        int checked = 0;
        MVStore store = MVStore.open(null);
        List<List<IndexKey>> shapes = List.of(
            List.of(new IndexKey("_id", true)),
            List.of(new IndexKey("n", true)),
            List.of(new IndexKey("a", true), new IndexKey("n", false)),
            List.of(new IndexKey("list", true)),
            List.of(new IndexKey("nested.y", true)),
            List.of(new IndexKey("list.x", true)));
        int name = 0;
        for (List<IndexKey> keys : shapes) {
            for (boolean sparse : List.of(false, true)) {
                name++;
                MVMap<KeyValue, Object> entries = store.openMap("ours" + name, UniqueIndex.mapBuilder());
                UniqueIndex ours = new UniqueIndex(entries, "i" + name, keys, sparse, null);
                Theirs theirs = new Theirs("i" + name, keys, sparse);
                List<Document> documents = documents();
                for (int position = 0; position < documents.size(); position++) {
                    Document document = documents.get(position);
                    String context = "index " + keys + (sparse ? " sparse" : "") + ", document " + document;
                    check(Objects.equals(outcome(() -> theirs.getKeyValues(document)),
                        outcome(() -> ours.getKeyValues(document))), context + ": keys differ");
                    int at = position;
                    // as a collection inserts: the check (which refuses a duplicate), then the add
                    String added = outcome(() -> {
                        theirs.checkAdd(document, COLLECTION);
                        return "checked";
                    });
                    String addedHere = outcome(() -> {
                        ours.checkAdd(document, COLLECTION);
                        return "checked";
                    });
                    if (added.equals(addedHere) && added.equals("value checked (String)")) {
                        added = outcome(() -> {
                            theirs.add(document, at, COLLECTION);
                            return "added";
                        });
                        addedHere = outcome(() -> {
                            ours.add(document, at, COLLECTION);
                            return "added";
                        });
                    }
                    check(added.equals(addedHere), context + ": " + added + " against " + addedHere);
                    // add without its check first (as no caller does): refused alike, nothing written
                    String again = outcome(() -> {
                        theirs.add(document, -1, COLLECTION);
                        return "added";
                    });
                    String againHere = outcome(() -> {
                        ours.add(document, -1, COLLECTION);
                        return "added";
                    });
                    check(again.equals(againHere) || !added.equals("value added (String)"),
                        context + ", added twice: " + again + " against " + againHere);
                    checked++;
                }
                Map<KeyValue, Object> left = new HashMap<>();
                entries.forEach(left::put);
                check(left.equals(theirs.entries),
                    "index " + keys + ": entries " + left + " against " + theirs.entries);
            }
        }
        store.close();
        return checked;
    }

    /** A secondary index's entries of a document with one value per field (built at once) are the
     *  general product's, in every direction. */
    private static int checkIndexEntries() {
        int checked = 0;
        MVStore store = MVStore.open(null);
        List<List<IndexKey>> shapes = List.of(
            List.of(new IndexKey("n", true)),
            List.of(new IndexKey("a", false)),
            List.of(new IndexKey("a", true), new IndexKey("n", false), new IndexKey("_id", true)),
            List.of(new IndexKey("nested.y", true), new IndexKey("absent", false)),
            List.of(new IndexKey("list", true), new IndexKey("n", true)),
            List.of(new IndexKey("list.x", false)));
        int name = 0;
        for (List<IndexKey> keys : shapes) {
            EqualityIndex index = new EqualityIndex(store.openMap("entries" + ++name, DocumentType.mapBuilder()),
                "e" + name, keys);
            for (Document document : documents()) {
                Object position = document.get("_id");
                check(index.entryKeys(document, position).equals(index.multikeyEntryKeys(document, position)),
                    "index " + keys + ", document " + document + ": entries " + index.entryKeys(document, position)
                        + " against " + index.multikeyEntryKeys(document, position));
                checked += index.entryKeys(document, position).size();
            }
        }
        store.close();
        return checked;
    }

    /** Documents of every shape a key can meet, with values that normalize alike (1, 1L, 1.0; 0.0, -0.0). */
    private static List<Document> documents() {
        List<Document> documents = new ArrayList<>();
        ObjectId id = new ObjectId();
        documents.add(doc("_id", "one", "a", "x", "n", 1, "nested", doc("y", doc("z", 1))));
        documents.add(doc("_id", 1, "a", "x", "n", 1L));
        documents.add(doc("_id", 1.0, "a", "y", "n", 1.0));
        documents.add(doc("_id", 2L, "a", "y", "n", 2));
        documents.add(doc("_id", 0.0, "a", null, "n", -0.0));
        documents.add(doc("_id", -0.0, "n", null));
        documents.add(doc("_id", id, "a", "z"));
        documents.add(doc("_id", "absent fields"));
        documents.add(doc("_id", "more absent fields"));
        documents.add(doc("_id", "list", "list", List.of(1, 2, 3), "n", 3));
        documents.add(doc("_id", "list again", "list", List.of(3, 4), "n", 4));
        documents.add(doc("_id", "empty list", "list", List.of(), "n", 5));
        documents.add(doc("_id", "sub-documents", "list", List.of(doc("x", 1), doc("x", 2), "plain"), "n", 6));
        documents.add(doc("_id", "sub-document again", "list", List.of(doc("x", 2)), "n", 7));
        documents.add(doc("_id", "nested", "nested", doc("y", 1), "a", doc("b", "c"), "n", 8));
        documents.add(doc("_id", "nested again", "nested", doc("y", 1.0), "a", doc("b", "c"), "n", 9));
        documents.add(doc("_id", "nested list", "nested", doc("y", List.of(1, 2)), "a", List.of(doc("b", 1)), "n", 10));
        documents.add(doc("_id", "null", "nul", null, "a", null, "n", null));
        documents.add(doc("_id", doc("compound", 1), "a", "w", "n", 11));
        documents.add(doc("_id", doc("compound", 1.0), "a", "w", "n", 11.0));
        return documents;
    }

    private static Document doc(Object... pairs) {
        Document document = new Document();
        for (int i = 0; i < pairs.length; i += 2) {
            document.put((String) pairs[i], pairs[i + 1]);
        }
        return document;
    }

    /** What a call gives, or the class and message of what it throws. */
    private static String outcome(java.util.function.Supplier<Object> call) {
        try {
            Object value = call.get();
            return value == Missing.getInstance() ? "Missing" : "value " + value + " (" + classes(value) + ")";
        } catch (RuntimeException e) {
            return "thrown " + e.getClass().getName() + ": " + e.getMessage();
        }
    }

    private static String classes(Object value) {
        if (value instanceof Iterable<?> items) {
            List<String> each = new ArrayList<>();
            items.forEach(item -> each.add(classes(item)));
            return each.toString();
        }
        return value == null ? "null" : value.getClass().getSimpleName();
    }

    private static void check(boolean same, String what) {
        if (!same) {
            System.err.println("differs: " + what);
            System.exit(1);
        }
    }

    /** mongo-java-server's unique index as it is, over a map (its H2 one is not public). */
    private static final class Theirs extends AbstractUniqueIndex<Object> {

        private final Map<KeyValue, Object> entries = new LinkedHashMap<>();

        Theirs(String name, List<IndexKey> keys, boolean sparse) {
            super(name, keys, sparse);
        }

        @Override
        protected Object removeDocument(KeyValue keyValue) {
            return entries.remove(keyValue);
        }

        @Override
        protected boolean putKeyPosition(KeyValue keyValue, Object position) {
            return entries.putIfAbsent(keyValue, Missing.ofNullable(position)) == null;
        }

        @Override
        protected Iterable<Map.Entry<KeyValue, Object>> getIterable() {
            return entries.entrySet();
        }

        @Override
        protected Object getPosition(KeyValue keyValue) {
            return entries.get(keyValue);
        }

        @Override
        public long getCount() {
            return entries.size();
        }

        @Override
        public long getDataSize() {
            return entries.size();
        }

        @Override
        public void checkAdd(Document document, MongoCollection<Object> collection) {
            super.checkAdd(document, collection);
        }
    }
}
