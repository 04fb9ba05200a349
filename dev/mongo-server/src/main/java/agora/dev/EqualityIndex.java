package agora.dev;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A non-unique (possibly compound, possibly multikey) index kept on disk in an H2 MVMap, used for
 * equality on its leading fields — what mongo-java-server leaves out (it keeps only unique
 * indexes, so every other query is a full scan and gets slower as a collection grows).
 *
 * <p>One map entry per (indexed values, document): the key is the values' encodings followed by
 * the document's _id, each length-framed, so the entries of one value prefix are contiguous in the
 * map's string order and a lookup is a range read from that prefix. The value is the document's
 * position (its _id) in the collection's data map.
 *
 * <p>Correctness never depends on the index being selective: it returns a superset of the
 * matching documents (every entry whose leading values are equal), and the collection still
 * applies the whole query to each. So it only answers queries whose leading-field conditions it
 * can enumerate exactly: plain scalar values, {@code $eq} and {@code $in} of scalars. Arrays, null,
 * sub-documents, regular expressions and ranges fall back to the scan, as before.
 */
final class EqualityIndex extends Index<Object> {

    /** Above this many value combinations ($in on several fields) a scan is as good. */
    private static final int MAX_LOOKUPS = 1000;

    private final MVMap<String, Object> entries;

    EqualityIndex(MVMap<String, Object> entries, String name, List<IndexKey> keys) {
        // "sparse" in mongo-java-server's sense: removing a document need not report a position
        // (the collection takes positions from its unique _id index, never from this one)
        super(name, keys, true);
        this.entries = entries;
    }

    // -- maintenance ------------------------------------------------------------------------------

    @Override
    public Object getPosition(Document document) {
        return null;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<Object> collection) {
        // not unique: nothing can conflict
    }

    @Override
    public synchronized void add(Document document, Object position, MongoCollection<Object> collection) {
        for (String key : entryKeys(document, position)) {
            entries.put(key, Missing.ofNullable(position));
        }
    }

    @Override
    public synchronized Object remove(Document document) {
        for (String key : entryKeys(document, document.get("_id"))) {
            entries.remove(key);
        }
        return null;
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Object> collection) {
        // not unique: nothing can conflict
    }

    @Override
    public synchronized void updateInPlace(Document oldDocument, Document newDocument, Object position,
                                           MongoCollection<Object> collection) {
        Set<String> before = entryKeys(oldDocument, position);
        Set<String> after = entryKeys(newDocument, position);
        if (before.equals(after)) {
            return;
        }
        for (String key : before) {
            if (!after.contains(key)) {
                entries.remove(key);
            }
        }
        for (String key : after) {
            if (!before.contains(key)) {
                entries.put(key, Missing.ofNullable(position));
            }
        }
    }

    @Override
    public long getCount() {
        return entries.sizeAsLong();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void drop() {
        // the database removes the map itself (H2Database.dropIndex)
    }

    /** Every entry key of a document: the cartesian product of its values per field (multikey). */
    private Set<String> entryKeys(Document document, Object position) {
        List<String> prefixes = List.of("");
        for (String field : keys()) {
            Object value = Utils.getSubdocumentValueCollectionAware(document, field);
            List<Object> values = new ArrayList<>();
            if (value instanceof Collection<?> collection) {
                values.addAll(collection);
                if (values.isEmpty()) {
                    values.add(Missing.getInstance()); // an empty array is still findable by the prefix before it
                }
            } else {
                values.add(value);
            }
            List<String> longer = new ArrayList<>(prefixes.size() * values.size());
            for (String prefix : prefixes) {
                for (Object element : values) {
                    longer.add(prefix + frame(encode(element)));
                }
            }
            prefixes = longer;
        }
        String suffix = frame(encode(position));
        Set<String> keys = new LinkedHashSet<>();
        for (String prefix : prefixes) {
            keys.add(prefix + suffix);
        }
        return keys;
    }

    // -- lookups ----------------------------------------------------------------------------------

    /** How many leading fields of this index the query fixes exactly (0: cannot serve it). */
    int usableFields(Document query) {
        int used = 0;
        long lookups = 1;
        for (String field : keys()) {
            List<Object> values = equalityValues(query.get(field), query.containsKey(field));
            if (values == null) {
                break;
            }
            lookups *= Math.max(1, values.size());
            if (lookups > MAX_LOOKUPS) {
                break;
            }
            used++;
        }
        return used;
    }

    @Override
    public boolean canHandle(Document query) {
        return usableFields(query) > 0;
    }

    @Override
    public synchronized Iterable<Object> getPositions(Document query) {
        int used = usableFields(query);
        List<String> prefixes = List.of("");
        for (String field : keys().subList(0, used)) {
            List<String> longer = new ArrayList<>();
            for (String prefix : prefixes) {
                for (Object value : equalityValues(query.get(field), true)) {
                    longer.add(prefix + frame(encode(value)));
                }
            }
            prefixes = longer;
        }
        Set<Object> positions = new LinkedHashSet<>();
        for (String prefix : new LinkedHashSet<>(prefixes)) {
            Cursor<String, Object> cursor = entries.cursor(prefix);
            while (cursor.hasNext()) {
                String key = cursor.next();
                if (!key.startsWith(prefix)) {
                    break;
                }
                positions.add(cursor.getValue());
            }
        }
        return positions;
    }

    /**
     * The values a query condition allows for a field, when they can be enumerated exactly:
     * {@code "x"}, {@code {$eq: "x"}}, {@code {$in: ["x", "y"]}} of scalars. Null otherwise.
     */
    private static List<Object> equalityValues(Object condition, boolean present) {
        if (!present) {
            return null;
        }
        if (condition instanceof Document operators) {
            if (operators.size() != 1) {
                return null;
            }
            Map.Entry<String, Object> operator = operators.entrySet().iterator().next();
            if (operator.getKey().equals("$eq") && isScalar(operator.getValue())) {
                return List.of(operator.getValue());
            }
            if (operator.getKey().equals("$in") && operator.getValue() instanceof Collection<?> in
                && !in.isEmpty() && in.stream().allMatch(EqualityIndex::isScalar)) {
                return new ArrayList<>(in);
            }
            return null;
        }
        return isScalar(condition) ? List.of(condition) : null;
    }

    /** Values whose equality the encoding decides exactly (not null, arrays, documents, regexes). */
    private static boolean isScalar(Object value) {
        return value instanceof String || value instanceof Number || value instanceof Boolean
            || value instanceof Instant || value instanceof Date || value instanceof ObjectId
            || value instanceof UUID;
    }

    // -- encoding ---------------------------------------------------------------------------------

    /** Equal values (in MongoDB's sense: 1 == 1.0, a missing field == null) encode equally. */
    static String encode(Object value) {
        if (Missing.isNullOrMissing(value)) {
            return "z";
        }
        if (value instanceof Number number) {
            if (number instanceof Long l && (long) (double) l.longValue() != l.longValue()) {
                return "l" + l; // beyond a double's precision: MongoDB compares it as a long
            }
            double d = number.doubleValue();
            return "n" + Double.toString(d == 0.0 ? 0.0 : d); // 1 == 1L == 1.0, -0.0 == 0.0
        }
        if (value instanceof String s) {
            return "s" + s;
        }
        if (value instanceof Boolean b) {
            return b ? "b1" : "b0";
        }
        if (value instanceof Date date) {
            return "d" + date.getTime();
        }
        if (value instanceof Instant instant) {
            return "d" + instant.toEpochMilli();
        }
        if (value instanceof Map<?, ?> map) {
            StringBuilder out = new StringBuilder("m");
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                out.append(frame(String.valueOf(entry.getKey()))).append(frame(encode(entry.getValue())));
            }
            return out.toString();
        }
        if (value instanceof Collection<?> collection) {
            StringBuilder out = new StringBuilder("a");
            for (Object element : collection) {
                out.append(frame(encode(element)));
            }
            return out.toString();
        }
        return "t" + value.getClass().getName() + ":" + value;
    }

    /** Length-framed, so that a concatenation of frames has exactly one reading. */
    private static String frame(String encoded) {
        return encoded.length() + ":" + encoded;
    }
}
