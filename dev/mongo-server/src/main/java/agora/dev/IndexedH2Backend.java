package agora.dev;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.util.List;

/**
 * mongo-java-server's H2 backend, plus the secondary indexes it leaves out: every non-unique
 * index a client creates becomes an {@link EqualityIndex} in the same MVStore file (so it is as
 * durable as the documents), and a query uses the unique index that fits it exactly, else the
 * secondary index that fixes the most leading fields by equality, else a scan — so an indexed
 * lookup costs the same at 1,000 and at 100,000 documents, as on MongoDB.
 *
 * <p>Names of the MVStore maps follow H2Database's ("databases.&lt;ns&gt;", "meta.&lt;ns&gt;",
 * "&lt;ns&gt;._index_&lt;name&gt;"), so its own drop and rename code keeps working on them.
 * Unique indexes and single-document atomicity are left exactly as mongo-java-server does them
 * (each collection's writes are serialised by its monitor).
 */
final class IndexedH2Backend extends H2Backend {

    IndexedH2Backend(MVStore store) {
        super(store);
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new IndexedDatabase(databaseName);
    }

    /** An inner class: H2Database's constructor already opens collections and indexes, and the
     *  enclosing backend (hence the MVStore) is reachable before any field of ours is set. */
    private final class IndexedDatabase extends H2Database {

        IndexedDatabase(String databaseName) {
            super(databaseName, IndexedH2Backend.this.getMvStore(), IndexedH2Backend.this.getCursorRegistry());
        }

        private MVStore store() {
            return IndexedH2Backend.this.getMvStore();
        }

        private String indexMapName(String collectionName, String indexName) {
            return getFullCollectionNamespace(collectionName) + "._index_" + indexName;
        }

        /** A collection without documents has no index entries: whatever a map of that name
         *  holds is left over from an earlier collection of the same name (a renamed or dropped
         *  one) and must not be trusted. */
        private void forgetLeftovers(String collectionName, String indexName) {
            MVMap<Object, Document> data = store().openMap("databases." + getFullCollectionNamespace(collectionName));
            String name = indexMapName(collectionName, indexName);
            if (data.isEmpty() && store().hasMap(name)) {
                store().openMap(name).clear();
            }
        }

        @Override
        protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                        boolean sparse) {
            forgetLeftovers(collectionName, indexName);
            return super.openOrCreateUniqueIndex(collectionName, indexName, keys, sparse);
        }

        @Override
        protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                           boolean sparse) {
            forgetLeftovers(collectionName, indexName);
            MVMap<String, Object> entries = store().openMap(indexMapName(collectionName, indexName));
            return new EqualityIndex(entries, indexName, keys);
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            String namespace = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> data = store().openMap("databases." + namespace);
            MVMap<String, Object> meta = store().openMap("meta." + namespace);
            return new IndexedCollection(this, collectionName, options, data, meta);
        }

        /**
         * Renaming moves the collection's maps — documents, metadata and every index — to the new
         * name. (H2Database reads the collection's name after the rename and so renames nothing:
         * the renamed collection kept using the maps of its old name, which the next collection
         * created under that name then shared — seen as a replay's shadow collection, renamed
         * into place, reappearing in the next replay's fresh shadow.)
         */
        @Override
        public void moveCollection(MongoDatabase oldDatabase, MongoCollection<?> collection, String newCollectionName) {
            String from = collection.getFullName();
            String to = getFullCollectionNamespace(newCollectionName);
            moveMap("databases." + from, "databases." + to);
            moveMap("meta." + from, "meta." + to);
            for (Index<?> index : ((IndexedCollection) collection).getIndexes()) {
                moveMap(from + "._index_" + index.getName(), to + "._index_" + index.getName());
            }
            super.moveCollection(oldDatabase, collection, newCollectionName);
        }

        private void moveMap(String from, String to) {
            if (!store().hasMap(from)) {
                return;
            }
            if (store().hasMap(to)) {
                store().removeMap(to); // what a dropped target left behind
            }
            store().renameMap(store().openMap(from), to);
        }
    }

    /** The part of `query` a unique index can look up by itself, or null if it cannot. */
    private static Document uniqueLookup(Index<Object> index, Document query) {
        Document lookup = new Document();
        for (IndexKey key : index.getKeys()) {
            if (!query.containsKey(key.getKey())) {
                return null;
            }
            lookup.put(key.getKey(), query.get(key.getKey()));
        }
        return index.canHandle(lookup) ? lookup : null;
    }

    /** Picks the index that serves a query best (mongo-java-server takes the first that can). */
    private final class IndexedCollection extends H2Collection {

        IndexedCollection(MongoDatabase database, String collectionName, CollectionOptions options,
                          MVMap<Object, Document> data, MVMap<String, Object> meta) {
            super(database, collectionName, options, data, meta, IndexedH2Backend.this.getCursorRegistry());
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                                             int batchSize, Document fieldSelector) {
            EqualityIndex best = null;
            int bestFields = 0;
            for (Index<Object> index : getIndexes()) {
                if (index instanceof EqualityIndex equality) {
                    int fields = equality.usableFields(query);
                    if (fields > bestFields) {
                        best = equality;
                        bestFields = fields;
                    }
                } else {
                    // a unique index whose every field the query fixes: at most one document per
                    // value, whatever else the query asks of it ({_id: x, _v: {$lt: 3}})
                    Document lookup = uniqueLookup(index, query);
                    if (lookup != null) {
                        return matchDocuments(query, index.getPositions(lookup), orderBy, numberToSkip, limit,
                            batchSize, fieldSelector);
                    }
                }
            }
            if (best == null) {
                return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector); // scan
            }
            return matchDocuments(query, best.getPositions(query), orderBy, numberToSkip, limit, batchSize,
                fieldSelector);
        }
    }
}
