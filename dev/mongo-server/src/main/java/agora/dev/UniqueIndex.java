package agora.dev;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;
import org.h2.mvstore.MVMap;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * mongo-java-server's H2 unique index (the same entries: the document's normalized key values →
 * its position), in a map whose keys compare element by element.
 *
 * <p>Why: H2's generic key type compares objects that are not {@link Comparable} — as
 * mongo-java-server's {@link KeyValue} is — by Java-serializing both at every comparison, so every
 * lookup by _id, every insert and every update paid some twenty serializations in the B-tree's
 * binary search (the largest item of a profile of the stand-in under writes). The bytes on disk are
 * the same (keys are still written by H2's generic type); only the order differs, so a map from an
 * older stand-in is rebuilt once (see IndexedH2Backend).
 *
 * <p>Equality is what it was: two keys are equal exactly when each element has the same class and
 * compares equal (normalized values: numbers are doubles, or longs beyond a double's precision), or
 * for other classes serializes to the same bytes — so uniqueness decides exactly as before.
 *
 * <p>Every unique index but {@code _id}'s also keeps its entries in index order ({@link #order()}, an
 * {@link EqualityIndex} over the same fields in a map of its own): this map answers a lookup of all
 * its fields only, so a query on a leading part of them — an event stream's commits by
 * {@code stream_id} sorted on {@code version}, the log after a {@code position} — was a scan of the
 * whole collection, slower with every document added. The ordered entries give such queries
 * MongoDB's shape (a seek, then as many entries as the page reads).
 */
final class UniqueIndex extends AbstractUniqueIndex<Object> {

    static final String FORMAT = "elementwise-1";

    private final MVMap<KeyValue, Object> entries;
    private final EqualityIndex order;

    UniqueIndex(MVMap<KeyValue, Object> entries, String name, List<IndexKey> keys, boolean sparse,
                EqualityIndex order) {
        super(name, keys, sparse);
        this.entries = entries;
        this.order = order;
    }

    /** The same fields' entries in index order (queries on a leading part, sorts, ranges), or null for _id's. */
    EqualityIndex order() {
        return order;
    }

    /**
     * A document's one key (its values at the index's fields, as given), or null when
     * mongo-java-server's own path must compute its keys: a sparse index (whether the document has
     * a value decides), a field path with a dot, or a value that is an array (one key per element).
     *
     * <p>Why: for the rest — every plain index, `_id`'s first — mongo-java-server builds a key
     * through streams, a map of the fields and a regular expression splitting each path
     * ({@link FieldValues}), and an insert did so three times per unique index: about a fifth of
     * what the stand-in allocated beside a replay (docs/architecture.md, "The stand-in beside a
     * replay"). The key is the same: the same values in the same order, {@link KeyValue#normalized()}
     * applying the normalization mongo-java-server applies to each.
     */
    private KeyValue plainKey(Document document) {
        if (isSparse()) {
            return null;
        }
        List<Object> values = new ArrayList<>(getKeys().size());
        for (IndexKey key : getKeys()) {
            if (!FieldValues.isTopLevel(key.getKey())) {
                return null;
            }
            Object value = document.getOrMissing(key.getKey());
            if (value instanceof Collection) {
                return null;
            }
            values.add(value);
        }
        return new KeyValue(values);
    }

    @Override
    public Set<KeyValue> getKeyValues(Document document) {
        KeyValue key = plainKey(document);
        return key == null ? super.getKeyValues(document) : Set.of(key.normalized());
    }

    @Override
    public synchronized void checkAdd(Document document, MongoCollection<Object> collection) {
        KeyValue key = plainKey(document);
        if (key == null) {
            super.checkAdd(document, collection);
        } else if (containsKey(key.normalized())) {
            throw new DuplicateKeyError(this, collection, getKeys(), key);
        }
    }

    /**
     * The document's keys added, and its ordered entries. Every caller has already checked the
     * document against this index under the collection's monitor — an insert checks every index
     * before it writes anything, an index build checks every document before it adds any, an
     * update checks the new document first — so mongo-java-server's second check here (the keys
     * computed and looked up once more) is left out for a plain key; a key present after all is
     * still refused, with the same error.
     */
    @Override
    public synchronized void add(Document document, Object position, MongoCollection<Object> collection) {
        KeyValue key = plainKey(document);
        if (key == null) {
            super.add(document, position, collection); // a duplicate is refused before anything is written
        } else if (!putKeyPosition(key.normalized(), position)) {
            throw new DuplicateKeyError(this, collection, getKeys(), key);
        }
        if (order != null) {
            order.add(document, position, collection);
        }
    }

    @Override
    public synchronized Object remove(Document document) {
        Object position = super.remove(document);
        if (order != null) {
            order.remove(document);
        }
        return position;
    }

    static MVMap.Builder<KeyValue, Object> mapBuilder() {
        return new MVMap.Builder<KeyValue, Object>().keyType(KeyType.INSTANCE).valueType(DocumentType.INSTANCE);
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
        return entries.sizeAsLong();
    }

    @Override
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    /** The stand-in's type ({@link DocumentType}: written compactly), comparing key values element by
     *  element instead of by their serialized bytes. */
    static final class KeyType extends DocumentType {

        static final KeyType INSTANCE = new KeyType();

        @Override
        public int compare(Object a, Object b) {
            if (a instanceof KeyValue x && b instanceof KeyValue y) {
                int common = Math.min(x.size(), y.size());
                for (int i = 0; i < common; i++) {
                    int order = compareElements(x.get(i), y.get(i));
                    if (order != 0) {
                        return order;
                    }
                }
                return Integer.compare(x.size(), y.size());
            }
            return super.compare(a, b);
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private int compareElements(Object a, Object b) {
            if (a == b) {
                return 0;
            }
            if (a == null || b == null) {
                return a == null ? -1 : 1;
            }
            if (a.getClass() != b.getClass()) {
                return a.getClass().getName().compareTo(b.getClass().getName());
            }
            if (a instanceof Comparable comparable) {
                return comparable.compareTo(b);
            }
            return super.compare(a, b); // documents, arrays: by their bytes, as H2 does
        }
    }
}
