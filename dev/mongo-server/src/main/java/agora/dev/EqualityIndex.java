package agora.dev;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Decimal128;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.LegacyUUID;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;
import de.bwaldvogel.mongo.bson.ObjectId;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.UUID;

/**
 * A non-unique (possibly compound, possibly multikey) index kept on disk in an H2 MVMap — what
 * mongo-java-server leaves out (it keeps only unique indexes, so every other query is a full scan
 * and gets slower as a collection grows).
 *
 * <p>One map entry per (indexed values, document). The key is an <em>order-preserving</em>
 * encoding of the values, each in its field's direction, followed by the document's _id; the
 * value is the document's position (its _id) in the collection's data map. Because the map's
 * (string) order is the index order, the entries of an equality prefix are contiguous, a range on
 * the next field is a seek, and a query sorted on the fields after its equality prefix walks the
 * entries in order and stops after skip + limit matches — MongoDB's performance shape: a sorted,
 * limited page costs the same however many documents match.
 *
 * <p>The encoding of one value (a "component") is a type letter in MongoDB's cross-type order
 * (null &lt; numbers &lt; strings &lt; ... &lt; ObjectId &lt; booleans &lt; dates), then its payload: numbers
 * as sortable doubles (1 == 1L == 1.0), dates as sortable epoch seconds and nanoseconds, ObjectIds
 * as hex, strings escaped and terminated (so that "ab" &lt; "abc" and components never run into each
 * other). A descending field stores every char complemented, which reverses the order of these
 * prefix-free components. The encoding is monotonic, not injective (longs beyond a double's
 * precision share an encoding): the scan treats equal encodings as one group and sorts it in
 * memory. Sub-documents, arrays inside arrays and rarer types keep an exact but unordered
 * encoding: equality finds them; a sorted scan that meets one gives up and sorts in memory.
 *
 * <p>Correctness never depends on the index: it returns a superset of the matching documents and
 * the collection still applies the whole query to each.
 *
 * <p>Format: the entry with the empty key holds {@link #FORMAT} (plus whether some document had
 * several entries, i.e. the index is multikey). A map without it is from an older stand-in (whose
 * keys were not ordered): it is emptied on open and the collection refills it from its documents.
 */
final class EqualityIndex extends Index<Object> {

    /** Above this many value combinations ($in on several fields) a scan is as good. */
    private static final int MAX_LOOKUPS = 1000;

    /** The marker entry's key: sorts before every entry (those start with a type letter). */
    private static final String FORMAT_KEY = "";
    static final String FORMAT = "ordered-2";
    private static final String MULTIKEY = FORMAT + " multikey";
    /** The marker of an index none of whose documents has held, at an indexed field, a value the
     *  encoding does not order (an array, a sub-document, rarer types): {@link #ordersEveryValue}. */
    private static final String EVERY_VALUE_ORDERED = FORMAT + " every-value-ordered";

    /** Above every key that starts with a given prefix (type letters, even complemented, are below it). */
    private static final char HIGHEST = '\uFFFF';

    // type letters, in MongoDB's (and mongo-java-server's ValueComparator's) cross-type order
    private static final char T_MINKEY = 'A';
    private static final char T_NULL = 'B';
    private static final char T_NUMBER = 'C';
    private static final char T_STRING = 'D';
    private static final char T_DOCUMENT = 'E';
    private static final char T_ARRAY = 'F';
    private static final char T_BINDATA = 'G';
    private static final char T_LEGACY_UUID = 'H';
    private static final char T_UUID = 'I';
    private static final char T_OBJECTID = 'J';
    private static final char T_BOOLEAN = 'K';
    private static final char T_DATE = 'L';
    private static final char T_TIMESTAMP = 'M';
    private static final char T_REGEX = 'N';
    private static final char T_MAXKEY = 'O';
    private static final char T_OTHER = 'P';

    private static final char TERMINATOR = '\u0000';
    private static final char ESCAPE = '\u0001';

    private final MVMap<String, Object> entries;
    private volatile boolean multikey;
    private volatile boolean everyValueOrdered;

    EqualityIndex(MVMap<String, Object> entries, String name, List<IndexKey> keys) {
        // "sparse" in mongo-java-server's sense: removing a document need not report a position
        // (the collection takes positions from its unique _id index, never from this one)
        super(name, keys, true);
        this.entries = entries;
        Object format = entries.get(FORMAT_KEY);
        if (!FORMAT.equals(format) && !MULTIKEY.equals(format) && !EVERY_VALUE_ORDERED.equals(format)) {
            // unordered keys of an older stand-in (or a new map): empty it, so that the collection
            // rebuilds it from its documents (AbstractMongoCollection.addIndex fills an empty index);
            // empty, it has held no value it does not order. An older stand-in's marker (FORMAT,
            // MULTIKEY) says nothing of that: such an index is never taken as ordering every value.
            entries.clear();
            entries.put(FORMAT_KEY, EVERY_VALUE_ORDERED);
        }
        this.multikey = MULTIKEY.equals(entries.get(FORMAT_KEY));
        this.everyValueOrdered = EVERY_VALUE_ORDERED.equals(entries.get(FORMAT_KEY));
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
        Set<String> keys = entryKeys(document, position);
        noteUnordered(document);
        noteMultikey(keys);
        for (String key : keys) {
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
        noteUnordered(newDocument); // 5 -> [5] keeps the entries, not the order's guarantee
        if (before.equals(after)) {
            return;
        }
        noteMultikey(after);
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

    /**
     * Once a document holds, at an indexed field, a value the encoding does not order, a sorted
     * walk may meet one and give up (IndexedCollection sorts in memory then): the index no longer
     * orders every value, for good (removing the document does not change that).
     */
    private void noteUnordered(Document document) {
        if (!everyValueOrdered) {
            return;
        }
        for (IndexKey key : getKeys()) {
            if (!isOrdered(FieldValues.at(document, key.getKey()))) {
                everyValueOrdered = false;
                entries.put(FORMAT_KEY, multikey ? MULTIKEY : FORMAT);
                return;
            }
        }
    }

    /**
     * Whether every value of every document this index has held (since it was built) is one its
     * encoding orders: a sorted walk of it then never meets a document it must give up on, so its
     * answer can be handed out a batch at a time as the walk goes (IndexedCollection's IndexWalk).
     */
    boolean ordersEveryValue() {
        return everyValueOrdered;
    }

    /** Once a document has several entries, counting entries no longer counts documents. */
    private void noteMultikey(Set<String> keys) {
        if (keys.size() > 1 && !multikey) {
            multikey = true;
            entries.put(FORMAT_KEY, MULTIKEY);
        }
    }

    @Override
    public long getCount() {
        return entries.sizeAsLong() - (entries.containsKey(FORMAT_KEY) ? 1 : 0);
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
    Set<String> entryKeys(Document document, Object position) {
        List<Object> values = new ArrayList<>(getKeys().size());
        for (IndexKey key : getKeys()) {
            Object value = FieldValues.at(document, key.getKey());
            if (value instanceof Collection<?>) {
                return multikeyEntryKeys(document, position);
            }
            values.add(value);
        }
        // one value per field, one entry: built at once (an index build makes one per document,
        // and the general product below allocated a list per field and a set per document)
        StringBuilder entry = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            entry.append(component(values.get(i), !getKeys().get(i).isAscending()));
        }
        return Set.of(entry.append(component(position, false)).toString());
    }

    /** The general product, whatever the values (package-private: checked against the one-entry path). */
    Set<String> multikeyEntryKeys(Document document, Object position) {
        List<String> prefixes = List.of("");
        for (IndexKey key : getKeys()) {
            Object value = FieldValues.at(document, key.getKey());
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
                    longer.add(prefix + component(element, !key.isAscending()));
                }
            }
            prefixes = longer;
        }
        String suffix = component(position, false);
        Set<String> keys = new LinkedHashSet<>();
        for (String prefix : prefixes) {
            keys.add(prefix + suffix);
        }
        return keys;
    }

    // -- planning ---------------------------------------------------------------------------------

    /**
     * How this index serves a query: the encoded equality prefixes of its first {@code equalityFields}
     * fields, the stored bounds of a range on the next one, and how many of the sort's fields (after
     * those fixed by a single value) the index order gives — walking forward, or backward when the
     * sort is the exact reverse of the index's directions.
     */
    record Plan(EqualityIndex index, int equalityFields, List<String> prefixes, Set<String> constantFields,
                String low, String high, List<String> sortedFields, boolean reverse) {

        boolean sorted() {
            return !sortedFields.isEmpty();
        }

        boolean useful() {
            return equalityFields > 0 || low != null || high != null || sorted();
        }

        /** Better plans fix more fields by equality, then give the sort, then seek a range. */
        int score() {
            return equalityFields * 4 + (sorted() ? 2 : 0) + (low != null || high != null ? 1 : 0);
        }
    }

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

    Plan plan(Document query, Document orderBy) {
        return plan(Conditions.of(query), orderBy);
    }

    Plan plan(Conditions conditions, Document orderBy) {
        Document query = conditions.fields();
        List<IndexKey> keys = getKeys();
        int used = usableFields(query);
        List<String> prefixes = List.of("");
        Set<String> constant = new HashSet<>();
        for (IndexKey key : keys.subList(0, used)) {
            List<Object> values = equalityValues(query.get(key.getKey()), true);
            if (values.size() == 1) {
                constant.add(key.getKey());
            }
            List<String> longer = new ArrayList<>();
            for (String prefix : prefixes) {
                for (Object value : values) {
                    longer.add(prefix + component(value, !key.isAscending()));
                }
            }
            prefixes = new ArrayList<>(new LinkedHashSet<>(longer));
        }

        String low = null;
        String high = null;
        if (used < keys.size()) {
            IndexKey next = keys.get(used);
            String[] range = conditions.range(next.getKey());
            if (range != null) {
                String lowAsc = range[0];
                // on an array field, each bound may be met by a different element: one bound only
                String highAsc = multikey && lowAsc != null ? null : range[1];
                if (next.isAscending()) {
                    low = lowAsc;
                    high = highAsc;
                } else {
                    low = highAsc == null ? null : complement(highAsc);
                    high = lowAsc == null ? null : complement(lowAsc);
                }
            }
        }

        List<String> sortedFields = new ArrayList<>();
        boolean reverse = false;
        if (orderBy != null && !orderBy.isEmpty() && !orderBy.containsKey("$natural")) {
            int position = used;
            Integer sign = null;
            for (Map.Entry<String, Object> sort : orderBy.entrySet()) {
                if (constant.contains(sort.getKey())) {
                    continue; // one value: any order of it is the order
                }
                if (position >= keys.size() || !(sort.getValue() instanceof Number direction)
                    || !keys.get(position).getKey().equals(sort.getKey())) {
                    break;
                }
                int wanted = direction.intValue() > 0 ? 1 : -1;
                int relative = keys.get(position).isAscending() ? wanted : -wanted;
                if (sign != null && sign != relative) {
                    break;
                }
                sign = relative;
                sortedFields.add(sort.getKey());
                position++;
            }
            reverse = sign != null && sign < 0;
        }
        return new Plan(this, used, prefixes, constant, low, high, sortedFields, reverse);
    }

    // -- lookups ----------------------------------------------------------------------------------

    /** One index entry met by a scan: its key, where the part after the equality prefix starts, its position. */
    record Entry(String key, int restStart, Object position) {
    }

    /** How many entries a plan selects, from the map's counted B-tree (no entry is read). */
    synchronized long estimate(Plan plan) {
        long entries = 0;
        for (String prefix : plan.prefixes()) {
            entries += rank(upper(plan, prefix)) - rank(lower(plan, prefix));
        }
        return entries;
    }

    private static String lower(Plan plan, String prefix) {
        return prefix + (plan.low() == null ? "" : plan.low());
    }

    private static String upper(Plan plan, String prefix) {
        return prefix + (plan.high() == null ? "" : plan.high()) + HIGHEST;
    }

    /** The entries a plan selects, in index order (runs of several $in prefixes merged) when it is sorted. */
    Iterator<Entry> scan(Plan plan) {
        List<Run> runs = new ArrayList<>();
        for (String prefix : plan.prefixes()) {
            String from = lower(plan, prefix);
            String to = upper(plan, prefix);
            Cursor<String, Object> cursor = plan.reverse() ? entries.cursor(to, from, true) : entries.cursor(from, to, false);
            Run run = new Run(cursor, prefix.length());
            if (run.advance()) {
                runs.add(run);
            }
        }
        if (runs.size() <= 1 || !plan.sorted()) {
            return new Iterator<>() {
                private int current = 0;

                @Override
                public boolean hasNext() {
                    while (current < runs.size() && runs.get(current).head == null) {
                        current++;
                    }
                    return current < runs.size();
                }

                @Override
                public Entry next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    Run run = runs.get(current);
                    Entry entry = run.head;
                    run.advance();
                    return entry;
                }
            };
        }
        int sign = plan.reverse() ? -1 : 1;
        PriorityQueue<Run> queue = new PriorityQueue<>(runs.size(),
            (a, b) -> sign * compareRest(a.head, b.head));
        queue.addAll(runs);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return !queue.isEmpty();
            }

            @Override
            public Entry next() {
                Run run = queue.poll();
                if (run == null) {
                    throw new NoSuchElementException();
                }
                Entry entry = run.head;
                if (run.advance()) {
                    queue.add(run);
                }
                return entry;
            }
        };
    }

    private static int compareRest(Entry a, Entry b) {
        String x = a.key();
        String y = b.key();
        int i = a.restStart();
        int j = b.restStart();
        while (i < x.length() && j < y.length()) {
            char c = x.charAt(i++);
            char d = y.charAt(j++);
            if (c != d) {
                return c - d;
            }
        }
        return (x.length() - i) - (y.length() - j);
    }

    /** The entries of one equality prefix, read in order. */
    private static final class Run {
        private final Cursor<String, Object> cursor;
        private final int restStart;
        private Entry head;

        Run(Cursor<String, Object> cursor, int restStart) {
            this.cursor = cursor;
            this.restStart = restStart;
        }

        boolean advance() {
            while (cursor.hasNext()) {
                String key = cursor.next();
                if (!key.isEmpty()) { // the format marker
                    head = new Entry(key, restStart, cursor.getValue());
                    return true;
                }
            }
            head = null;
            return false;
        }
    }

    /** The first {@code count} components after the equality prefix: entries with equal ones tie in the index order. */
    static String sortKey(Entry entry, int count) {
        String key = entry.key();
        int end = entry.restStart();
        for (int i = 0; i < count; i++) {
            end = componentEnd(key, end);
        }
        return key.substring(entry.restStart(), end);
    }

    @Override
    public synchronized Iterable<Object> getPositions(Document query) {
        Plan plan = plan(query, null);
        Set<Object> positions = new LinkedHashSet<>();
        scan(plan).forEachRemaining(entry -> positions.add(entry.position()));
        return positions;
    }

    /**
     * The number of documents matching a query that is exactly an equality on this index's leading
     * fields, from the entries alone (no document is read); -1 when the index cannot say exactly.
     */
    synchronized long countExactly(Document filter) {
        Conditions conditions = Conditions.of(filter);
        Document query = conditions.fields();
        int used = usableFields(query);
        if (!conditions.plain() || used == 0 || used != query.size()) {
            return -1;
        }
        for (String field : keys().subList(0, used)) {
            if (!query.containsKey(field)) {
                return -1;
            }
            for (Object value : equalityValues(query.get(field), true)) {
                if (!encodesExactly(value)) {
                    return -1;
                }
            }
        }
        Plan plan = plan(conditions, null);
        if (!multikey) {
            long count = 0;
            for (String prefix : plan.prefixes()) {
                count += rank(prefix + HIGHEST) - rank(prefix);
            }
            return count;
        }
        Set<Object> positions = new HashSet<>();
        scan(plan).forEachRemaining(entry -> positions.add(entry.position()));
        return positions.size();
    }

    /** How many keys of the map sort before `key` (which is never a key itself). */
    private long rank(String key) {
        long index = entries.getKeyIndex(key);
        return index >= 0 ? index : -(index + 1);
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

    /** Values whose equality the encoding decides (not null, arrays, documents, regexes). */
    private static boolean isScalar(Object value) {
        return value instanceof String || value instanceof Number || value instanceof Boolean
            || value instanceof Instant || value instanceof Date || value instanceof ObjectId
            || value instanceof UUID;
    }

    /** Scalars that only equal values share the encoding of (a long beyond a double's precision does not). */
    private static boolean encodesExactly(Object value) {
        if (value instanceof Decimal128) {
            return false;
        }
        if (value instanceof Long l) {
            return (long) (double) l.longValue() == l.longValue();
        }
        return true;
    }

    /** Values the encoding orders as MongoDB does (so a sorted scan over them is in sort order). */
    static boolean isOrdered(Object value) {
        return Missing.isNullOrMissing(value) || value instanceof Number || value instanceof String
            || value instanceof Boolean || value instanceof Instant || value instanceof Date
            || value instanceof ObjectId || value instanceof UUID || value instanceof MinKey
            || value instanceof MaxKey;
    }

    // -- encoding ---------------------------------------------------------------------------------

    /** One value's component, its chars complemented for a descending field. */
    static String component(Object value, boolean descending) {
        String ascending = component(value);
        return descending ? complement(ascending) : ascending;
    }

    private static String complement(String encoded) {
        char[] chars = encoded.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (char) (0xFFFF - chars[i]);
        }
        return new String(chars);
    }

    /** Equal values (in MongoDB's sense: 1 == 1.0, a missing field == null) encode equally. */
    private static String component(Object value) {
        if (Missing.isNullOrMissing(value)) {
            return String.valueOf(T_NULL);
        }
        if (value instanceof Number number && !(value instanceof Decimal128)) {
            double d = number.doubleValue();
            long bits = Double.doubleToLongBits(d == 0.0 ? 0.0 : d); // -0.0 == 0.0; NaN canonical, above all (as Double.compare)
            return T_NUMBER + hex(bits < 0 ? ~bits : bits ^ Long.MIN_VALUE);
        }
        if (value instanceof Decimal128 decimal) {
            double d = decimal.doubleValue();
            long bits = Double.doubleToLongBits(d == 0.0 ? 0.0 : d);
            return T_NUMBER + hex(bits < 0 ? ~bits : bits ^ Long.MIN_VALUE);
        }
        if (value instanceof String s) {
            return terminated(T_STRING, s);
        }
        if (value instanceof Boolean b) {
            return T_BOOLEAN + (b ? "1" : "0");
        }
        if (value instanceof Date date) {
            return date(date.toInstant());
        }
        if (value instanceof Instant instant) {
            return date(instant);
        }
        if (value instanceof ObjectId id) {
            return T_OBJECTID + id.getHexData();
        }
        if (value instanceof UUID uuid) {
            return T_UUID + uuid.toString(); // mongo-java-server orders UUIDs by this text
        }
        if (value instanceof MinKey) {
            return String.valueOf(T_MINKEY);
        }
        if (value instanceof MaxKey) {
            return String.valueOf(T_MAXKEY);
        }
        // exact, unordered: found by equality, never walked in order
        char type = value instanceof Map<?, ?> ? T_DOCUMENT
            : value instanceof Collection<?> ? T_ARRAY
            : value instanceof BinData ? T_BINDATA
            : value instanceof LegacyUUID ? T_LEGACY_UUID
            : value instanceof BsonTimestamp ? T_TIMESTAMP
            : value instanceof BsonRegularExpression ? T_REGEX
            : T_OTHER;
        return terminated(type, exact(value));
    }

    private static String date(Instant instant) {
        return T_DATE + hex(instant.getEpochSecond() ^ Long.MIN_VALUE) + hex(instant.getNano()).substring(8);
    }

    /** An unambiguous text of a value of any type (for the unordered types). */
    private static String exact(Object value) {
        if (value instanceof Map<?, ?> map) {
            StringBuilder out = new StringBuilder("m");
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                out.append(frame(String.valueOf(entry.getKey()))).append(frame(component(entry.getValue())));
            }
            return out.toString();
        }
        if (value instanceof Collection<?> collection) {
            StringBuilder out = new StringBuilder("a");
            for (Object element : collection) {
                out.append(frame(component(element)));
            }
            return out.toString();
        }
        return value.getClass().getName() + ":" + value;
    }

    private static String frame(String encoded) {
        return encoded.length() + ":" + encoded;
    }

    /** Type letter, the text with TERMINATOR and ESCAPE escaped, TERMINATOR: order-preserving and prefix-free. */
    private static String terminated(char type, String text) {
        StringBuilder out = new StringBuilder(text.length() + 2);
        out.append(type);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == TERMINATOR || c == ESCAPE) {
                out.append(ESCAPE).append((char) (c + 1));
            } else {
                out.append(c);
            }
        }
        return out.append(TERMINATOR).toString();
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static String hex(long value) {
        char[] out = new char[16];
        for (int i = 15; i >= 0; i--) {
            out[i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
        return new String(out);
    }

    /** Where the component starting at `start` ends (either direction). */
    private static int componentEnd(String key, int start) {
        char first = key.charAt(start);
        boolean descending = first > '\u8000';
        char type = descending ? (char) (0xFFFF - first) : first;
        switch (type) {
            case T_MINKEY, T_NULL, T_MAXKEY:
                return start + 1;
            case T_BOOLEAN:
                return start + 2;
            case T_NUMBER:
                return start + 17;
            case T_OBJECTID, T_DATE:
                return start + 25;
            case T_UUID:
                return start + 37;
            default:
                int i = start + 1;
                while (true) {
                    char c = key.charAt(i);
                    if (descending) {
                        c = (char) (0xFFFF - c);
                    }
                    if (c == TERMINATOR) {
                        return i + 1;
                    }
                    i += c == ESCAPE ? 2 : 1;
                }
        }
    }

    /**
     * A filter as the planner reads it: the conditions on fields of the filter and of its
     * {@code $and} clauses (the first one per field: any conjunct restricts the answer), and the
     * {@code $or} clause lists (a range that every clause of one implies — as a cursor page's
     * {@code {$or: [{ts: {$lt: x}}, {ts: x, _id: {$lt: y}}]}} does — is seeked). "Plain" when that
     * reading is the whole filter: field conditions only, each field once.
     */
    record Conditions(Document fields, List<List<Document>> ors, boolean plain) {

        static Conditions of(Document filter) {
            Document fields = new Document();
            List<List<Document>> ors = new ArrayList<>();
            boolean plain = collect(filter, fields, ors);
            return new Conditions(fields, ors, plain && ors.isEmpty());
        }

        private static boolean collect(Document filter, Document fields, List<List<Document>> ors) {
            boolean plain = true;
            for (Map.Entry<String, Object> entry : filter.entrySet()) {
                String key = entry.getKey();
                if (key.equals("$and") && entry.getValue() instanceof Collection<?> clauses) {
                    for (Object clause : clauses) {
                        plain &= clause instanceof Document document && collect(document, fields, ors);
                    }
                } else if (key.equals("$or") && entry.getValue() instanceof Collection<?> clauses
                    && clauses.stream().allMatch(Document.class::isInstance)) {
                    List<Document> documents = new ArrayList<>();
                    clauses.forEach(clause -> documents.add((Document) clause));
                    ors.add(documents);
                } else if (key.startsWith("$")) {
                    plain = false;
                } else if (fields.containsKey(key)) {
                    plain = false;
                } else {
                    fields.put(key, entry.getValue());
                }
            }
            return plain;
        }

        /** Ascending encoded [low, high] bounds (either may be null) that the filter implies for a field, or null. */
        String[] range(String field) {
            String[] bounds = bounds(fields.get(field), fields.containsKey(field));
            if (bounds != null) {
                return bounds;
            }
            for (List<Document> clauses : ors) {
                if (clauses.isEmpty()) {
                    continue;
                }
                String low = "";
                String high = "";
                for (Document clause : clauses) {
                    Conditions inner = of(clause);
                    String[] own = bounds(inner.fields().get(field), inner.fields().containsKey(field));
                    if (own == null) {
                        own = inner.ors().isEmpty() ? null : inner.range(field);
                    }
                    if (own == null) {
                        low = null;
                        high = null;
                        break;
                    }
                    // the union of the clauses: the loosest bound of each side, if every clause has one
                    low = low == null || own[0] == null ? null : low.isEmpty() || own[0].compareTo(low) < 0 ? own[0] : low;
                    high = high == null || own[1] == null ? null : high.isEmpty() || own[1].compareTo(high) > 0 ? own[1] : high;
                }
                if (low != null || high != null) {
                    return new String[] {low, high};
                }
            }
            return null;
        }

        /** The bounds of one field condition: a range, or an equality (both bounds the value). */
        private static String[] bounds(Object condition, boolean present) {
            if (!present) {
                return null;
            }
            if (!(condition instanceof Document operators)) {
                return isScalar(condition) ? new String[] {component(condition, false), component(condition, false)} : null;
            }
            if (operators.isEmpty()) {
                return null;
            }
            String low = null;
            String high = null;
            for (Map.Entry<String, Object> operator : operators.entrySet()) {
                Object value = operator.getValue();
                switch (operator.getKey()) {
                    case "$gt", "$gte" -> {
                        if (!isOrdered(value) || Missing.isNullOrMissing(value)) {
                            return null;
                        }
                        low = low == null ? component(value, false) : low; // any one of them restricts
                    }
                    case "$lt", "$lte" -> {
                        if (!isOrdered(value) || Missing.isNullOrMissing(value)) {
                            return null;
                        }
                        high = high == null ? component(value, false) : high;
                    }
                    case "$eq" -> {
                        if (!isScalar(value)) {
                            return null;
                        }
                        low = high = component(value, false);
                    }
                    default -> {
                        return null;
                    }
                }
            }
            return new String[] {low, high};
        }
    }
}
