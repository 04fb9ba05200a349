package agora.dev;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.AbstractCursor;
import de.bwaldvogel.mongo.backend.Assert;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.DocumentComparator;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.exception.MongoSilentServerException;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * mongo-java-server's H2 backend, plus the secondary indexes it leaves out: every non-unique
 * index a client creates becomes an ordered {@link EqualityIndex} in the same MVStore file (so it
 * is as durable as the documents), and a query uses the unique index that fits it exactly, else
 * the secondary index whose plan is best (most leading fields fixed by equality, then the sort
 * given, then a range seeked), else a scan — so an indexed lookup, and a sorted and limited page,
 * cost the same at 1,000 and at 100,000 documents, as on MongoDB. Counts and $match-first
 * aggregations use the indexes too. Unique indexes compare keys element by element
 * ({@link UniqueIndex}) and documents are stored as BSON ({@link DocumentType}).
 *
 * <p>Names of the MVStore maps follow H2Database's ("databases.&lt;ns&gt;", "meta.&lt;ns&gt;",
 * "&lt;ns&gt;._index_&lt;name&gt;"), so its own drop and rename code keeps working on them.
 * Uniqueness and single-document atomicity are mongo-java-server's own (each collection's writes
 * are serialised by its monitor).
 */
final class IndexedH2Backend extends H2Backend {

    IndexedH2Backend(MVStore store) {
        super(store);
    }

    /**
     * Errors the application expects answer without a log entry: mongo-java-server logs every
     * command that fails with the command and a stack trace (some forty lines), and a duplicate key
     * is an everyday answer here (a lease already held, an event already applied, "already there"),
     * as is dropping a collection that is not there. That logging cost more server time than the
     * command and grew the log by hundreds of megabytes a day. The answer is the one
     * mongo-java-server's wire handler builds; any other error is still logged there.
     */
    @Override
    public Document handleMessage(MongoMessage message) {
        try {
            return super.handleMessage(message);
        } catch (DuplicateKeyError | MongoSilentServerException e) {
            Document answer = new Document();
            answer.put("$err", e.getMessageWithoutErrorCode());
            answer.put("errmsg", e.getMessageWithoutErrorCode());
            if (e instanceof MongoServerError error) {
                answer.put("code", error.getCode());
                answer.putIfNotNull("codeName", error.getCodeName());
            }
            answer.put("ok", 0);
            return answer;
        }
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new IndexedDatabase(databaseName);
    }

    /** An inner class: H2Database's constructor already opens collections and indexes, and the
     *  enclosing backend (hence the MVStore) is reachable before any field of ours is set. */
    private final class IndexedDatabase extends H2Database {

        /** mongo-java-server's own names for a database's two system collections. */
        private static final String NAMESPACES = "system.namespaces";
        private static final String INDEXES = "system.indexes";

        IndexedDatabase(String databaseName) {
            super(databaseName, IndexedH2Backend.this.getMvStore(), IndexedH2Backend.this.getCursorRegistry());
        }

        private MVStore store() {
            return IndexedH2Backend.this.getMvStore();
        }

        /** A collection's documents by _id, in {@link DocumentType}'s formats; every opening of that
         *  map goes through here, as the first one fixes its types for the life of the store. */
        private MVMap<Object, Document> dataMap(String namespace) {
            return store().openMap("databases." + namespace, DocumentType.mapBuilder());
        }

        private String indexMapName(String collectionName, String indexName) {
            return getFullCollectionNamespace(collectionName) + "._index_" + indexName;
        }

        /** A collection without documents has no index entries: whatever a map of that name
         *  holds is left over from an earlier collection of the same name (a renamed or dropped
         *  one) and must not be trusted. */
        private void forgetLeftovers(String collectionName, String indexName) {
            MVMap<Object, Document> data = dataMap(getFullCollectionNamespace(collectionName));
            String name = indexMapName(collectionName, indexName);
            if (data.isEmpty() && store().hasMap(name)) {
                store().openMap(name, DocumentType.mapBuilder()).clear();
            }
        }

        /**
         * A unique index whose keys compare element by element ({@link UniqueIndex}). A map of an
         * older stand-in (ordered by serialized bytes: no marker in the collection's metadata) is
         * put in the new order; one left over from an earlier collection of that name (the
         * collection is empty) is emptied.
         */
        @Override
        protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                        boolean sparse) {
            String namespace = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> data = dataMap(namespace);
            MVMap<String, Object> meta = store().openMap("meta." + namespace);
            MVMap<KeyValue, Object> entries = store().openMap(indexMapName(collectionName, indexName),
                UniqueIndex.mapBuilder());
            String marker = "agora.uniqueIndexFormat." + indexName;
            if (data.isEmpty()) {
                entries.clear();
            } else if (!UniqueIndex.FORMAT.equals(meta.get(marker))) {
                reorder(entries);
            }
            meta.put(marker, UniqueIndex.FORMAT);
            return new UniqueIndex(entries, indexName, keys, sparse, orderOf(namespace, data, collectionName, indexName, keys));
        }

        private String orderMapName(String collectionName, String indexName) {
            return getFullCollectionNamespace(collectionName) + "._order_" + indexName;
        }

        /**
         * The ordered entries of a unique index ({@link UniqueIndex#order()}), none for _id's (the
         * documents' own map is ordered by it). An empty collection's are emptied (left over from a
         * dropped one); a collection with documents and no ordered entries yet (its index was
         * made by an older stand-in) gets them from its documents, once.
         */
        private EqualityIndex orderOf(String namespace, MVMap<Object, Document> data, String collectionName,
                                      String indexName, List<IndexKey> keys) {
            if (keys.size() == 1 && keys.get(0).getKey().equals("_id")) {
                return null;
            }
            MVMap<String, Object> entries = store().openMap(orderMapName(collectionName, indexName),
                DocumentType.mapBuilder());
            if (data.isEmpty()) {
                entries.clear();
            }
            EqualityIndex order = new EqualityIndex(entries, indexName, keys);
            if (order.getCount() == 0 && !data.isEmpty()) {
                for (Map.Entry<Object, Document> document : data.entrySet()) {
                    order.add(document.getValue(), document.getKey(), null);
                }
            }
            return order;
        }

        @Override
        protected void dropIndex(MongoCollection<Object> collection, String indexName) {
            super.dropIndex(collection, indexName);
            String name = orderMapName(collection.getCollectionName(), indexName);
            if (store().hasMap(name)) {
                store().removeMap(name);
            }
        }

        /**
         * Drops exactly this database's collections and maps. H2Database's drop (1.47.0) also
         * removes every map whose name merely starts with "databases.&lt;name&gt;" or
         * "meta.&lt;name&gt;", without the dot: dropping "t_feeds1" removed the documents of
         * "t_feeds10" to "t_feeds19" while their collections stayed open and their indexes
         * listed, so a database whose name began with another's lost its data with it. This is
         * AbstractMongoDatabase's drop (each collection, then the two system ones), followed by
         * the maps of this namespace, dot included.
         */
        @Override
        public void drop(Oplog oplog) {
            String namespace = getDatabaseName() + ".";
            MongoCollection<Object> namespaces = resolveCollection(NAMESPACES, false);
            List<String> names = namespaces == null ? List.of() : namespaces.queryAllAsStream()
                .map(entry -> ((String) entry.get("name")).substring(namespace.length()))
                .filter(name -> !name.startsWith("system."))
                .toList();
            for (String name : names) {
                dropCollection(name, oplog);
            }
            for (String system : List.of(INDEXES, NAMESPACES)) {
                if (resolveCollection(system, false) != null) {
                    dropCollection(system, oplog);
                }
            }
            List<String> own = store().getMapNames().stream()
                .filter(map -> map.startsWith(namespace) || map.startsWith("databases." + namespace)
                    || map.startsWith("meta." + namespace))
                .toList();
            for (String map : own) {
                store().removeMap(map);
            }
        }

        /** An older stand-in's unique index, ordered by serialized bytes: its entries are right,
         *  only their order is not. Read in stored order (no comparison needed) and put back in
         *  the new one — cheaper than rebuilding from the documents, which reads each of them. */
        private void reorder(MVMap<KeyValue, Object> entries) {
            List<Map.Entry<KeyValue, Object>> all = new ArrayList<>();
            for (Map.Entry<KeyValue, Object> entry : entries.entrySet()) {
                all.add(Map.entry(entry.getKey(), entry.getValue()));
            }
            entries.clear();
            for (Map.Entry<KeyValue, Object> entry : all) {
                entries.put(entry.getKey(), entry.getValue());
            }
        }

        @Override
        protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                           boolean sparse) {
            forgetLeftovers(collectionName, indexName);
            MVMap<String, Object> entries = store().openMap(indexMapName(collectionName, indexName),
                DocumentType.mapBuilder());
            return new EqualityIndex(entries, indexName, keys);
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            String namespace = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> data = dataMap(namespace);
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
                moveMap(from + "._order_" + index.getName(), to + "._order_" + index.getName());
            }
            super.moveCollection(oldDatabase, collection, newCollectionName);
        }

        /**
         * mongo-java-server runs every aggregation over a scan of the whole collection, so
         * pymongo's count_documents ({$match}, {$skip}?, {$limit}?, {$group: {_id: 1, n: {$sum: 1}}})
         * and the services' $match-first pipelines cost in proportion to the collection. Here the
         * leading $match is a query (indexed like a find), and a count whose filter is exactly an
         * index's equality prefix is read from the index entries alone.
         */
        @Override
        public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver resolver,
                                      Oplog oplog) {
            if (command.equalsIgnoreCase("aggregate")) {
                Document answer = aggregateFromMatch(query, resolver, oplog);
                if (answer != null) {
                    return answer;
                }
            }
            return super.handleCommand(channel, command, query, resolver, oplog);
        }

        private Document aggregateFromMatch(Document command, DatabaseResolver resolver, Oplog oplog) {
            if (!(command.get("aggregate") instanceof String collectionName)
                || !(resolveCollection(collectionName, false) instanceof IndexedCollection collection)) {
                return null;
            }
            List<Document> pipeline = Aggregation.parse(command.get("pipeline"));
            if (pipeline.isEmpty() || !(pipeline.get(0).get("$match") instanceof Document match)) {
                return null;
            }
            for (Document stage : pipeline) {
                if (stage.size() != 1 || !stage.keySet().iterator().next().startsWith("$")
                    || stage.containsKey("$out") || stage.containsKey("$merge") || stage.containsKey("$changeStream")) {
                    return null; // writes or oddities: mongo-java-server's own path
                }
            }
            try {
                List<Document> results = countOnly(collection, match, pipeline);
                if (results == null) {
                    if (!collection.indexBeatsScan(match)) {
                        return null; // a scan either way: mongo-java-server's own
                    }
                    List<Document> matched = new ArrayList<>();
                    for (Document document : collection.handleQuery(match)) {
                        matched.add(document);
                    }
                    // the documents already match: the rest of the pipeline runs on them
                    List<Document> rest = pipeline.subList(1, pipeline.size());
                    Aggregation aggregation = Aggregation.fromPipeline(rest, resolver, this, collection, oplog);
                    aggregation.validate(command);
                    results = aggregation.runStages(matched.stream());
                }
                Document cursor = new Document();
                cursor.put("id", 0L);
                cursor.put("ns", collection.getFullName());
                cursor.put("firstBatch", results);
                Document response = new Document("cursor", cursor);
                Utils.markOkay(response);
                return response;
            } catch (RuntimeException e) {
                return null; // let mongo-java-server's path run it and report the error its way
            }
        }

        /** count_documents' pipeline answered from the index entries, or null when it is not that. */
        private List<Document> countOnly(IndexedCollection collection, Document match, List<Document> pipeline) {
            long skip = 0;
            long limit = 0;
            int last = pipeline.size() - 1;
            for (Document stage : pipeline.subList(1, last)) {
                if (stage.get("$skip") instanceof Number n && limit == 0) {
                    skip = n.longValue();
                } else if (stage.get("$limit") instanceof Number n) {
                    limit = n.longValue();
                } else {
                    return null;
                }
            }
            if (last < 1 || !(pipeline.get(last).get("$group") instanceof Document group) || group.size() != 2
                || !group.containsKey("_id") || group.get("_id") instanceof Document || group.get("_id") instanceof String) {
                return null;
            }
            String field = null;
            for (Map.Entry<String, Object> entry : group.entrySet()) {
                if (!entry.getKey().equals("_id")) {
                    if (!(entry.getValue() instanceof Document sum) || !(sum.get("$sum") instanceof Number one)
                        || sum.size() != 1 || one.doubleValue() != 1.0) {
                        return null;
                    }
                    field = entry.getKey();
                }
            }
            long count = limited(collection.countMatching(match), skip, limit);
            if (count == 0) {
                return List.of(); // $group over nothing yields nothing
            }
            Document result = new Document("_id", group.get("_id"));
            result.put(field, count <= Integer.MAX_VALUE ? (Object) (int) count : (Object) count);
            return List.of(result);
        }

        private void moveMap(String from, String to) {
            if (!store().hasMap(from)) {
                return;
            }
            if (store().hasMap(to)) {
                store().removeMap(to); // what a dropped target left behind
            }
            store().renameMap(from.startsWith("databases.")
                ? store().openMap(from, DocumentType.mapBuilder()) : store().openMap(from), to);
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
    final class IndexedCollection extends H2Collection {

        private final MVMap<Object, Document> documents;

        IndexedCollection(MongoDatabase database, String collectionName, CollectionOptions options,
                          MVMap<Object, Document> data, MVMap<String, Object> meta) {
            super(database, collectionName, options, data, meta, IndexedH2Backend.this.getCursorRegistry());
            this.documents = data;
        }

        /** H2Collection's, with the document's _id read as {@link FieldValues} reads a field (not
         *  split by a regular expression at every insert). */
        @Override
        protected Object addDocumentInternal(Document document) {
            if (getIdField() == null) {
                return super.addDocumentInternal(document);
            }
            Object key = FieldValues.at(document, getIdField());
            Document previous = documents.put(Missing.ofNullable(key), document);
            Assert.isNull(previous,
                () -> "Document with key '" + key + "' already existed in " + this + ": " + previous);
            return key;
        }

        /**
         * The collection's size in BSON bytes (collStats' size) is summed when asked for, not kept
         * at every write. Why: mongo-java-server's running total encodes the document again at every
         * insert (an update: the old and the new one) and rewrites the collection's metadata entry,
         * so every commit rewrote a metadata page per collection written — 3 % of the stand-in's
         * samples under writes for a figure the platform never reads. Asked for, it is exact (the
         * running total is not once a killed stand-in loses the last second of writes).
         */
        @Override
        protected boolean tracksDataSize() {
            return false;
        }

        @Override
        protected synchronized int getDataSize() {
            long bytes = streamAllDocumentsWithPosition().mapToLong(d -> DocumentType.bsonSize(d.getDocument())).sum();
            return (int) Math.min(bytes, Integer.MAX_VALUE);
        }

        /**
         * Whether reading every document beats reading those a plan selects one by one: a lookup
         * by position costs about twice a step of the scan, so past half of the collection (an
         * equality that nearly everything shares) the scan is cheaper. A sorted, limited walk
         * stops early and is never replaced.
         */
        private boolean scanIsCheaper(EqualityIndex.Plan plan) {
            return plan.index().estimate(plan) * 2 > count();
        }

        /** An index's entries in index order: a secondary index's own, a unique one's ordered copy (or null). */
        private EqualityIndex ordered(Index<Object> index) {
            if (index instanceof EqualityIndex equality) {
                return equality;
            }
            return index instanceof UniqueIndex unique ? unique.order() : null;
        }

        /** The best plan of the ordered indexes for a query and sort, or null if none helps. */
        private EqualityIndex.Plan bestPlan(Document query, Document orderBy) {
            EqualityIndex.Plan best = null;
            for (Index<Object> index : getIndexes()) {
                EqualityIndex equality = ordered(index);
                if (equality != null) {
                    EqualityIndex.Plan plan = equality.plan(query, orderBy);
                    if (plan.useful() && (best == null || plan.score() > best.score())) {
                        best = plan;
                    }
                }
            }
            return best;
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                                             int batchSize, Document fieldSelector) {
            for (Index<Object> index : getIndexes()) {
                if (!(index instanceof EqualityIndex)) {
                    // a unique index whose every field the query fixes: at most one document per
                    // value, whatever else the query asks of it ({_id: x, _v: {$lt: 3}})
                    Document lookup = uniqueLookup(index, query);
                    if (lookup != null) {
                        return matchDocuments(query, index.getPositions(lookup), orderBy, numberToSkip, limit,
                            batchSize, fieldSelector);
                    }
                }
            }
            EqualityIndex.Plan plan = bestPlan(query, orderBy);
            if (plan == null) {
                return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector); // scan
            }
            if (plan.sorted()) {
                boolean tieBreaks = sortFieldsBeyond(plan, orderBy);
                if (!tieBreaks && limit == 0 && numberToSkip == 0 && batchSize > 0
                    && (fieldSelector == null || fieldSelector.isEmpty()) && plan.index().ordersEveryValue()) {
                    return walk(plan, query, batchSize);
                }
                List<Document> ordered = orderedMatches(plan, query, orderBy, numberToSkip, Math.abs(limit));
                if (ordered != null) {
                    // already matched and in order: only the ties the index leaves are sorted here
                    return matchDocumentsFromStream(new Document(), ordered.stream(), numberToSkip, limit, batchSize,
                        tieBreaks ? new DocumentComparator(orderBy) : null, fieldSelector);
                }
            }
            if (scanIsCheaper(plan)) {
                return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector); // scan
            }
            Set<Object> positions = new LinkedHashSet<>();
            synchronized (plan.index()) {
                plan.index().scan(plan).forEachRemaining(entry -> positions.add(entry.position()));
            }
            return matchDocuments(query, positions, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }

        /**
         * A sorted find without a limit, answered a batch at a time as its index is walked
         * ({@link IndexWalk}) instead of every match read, in order, before the first batch
         * goes out. Why: a replay reads the whole log this way (`position` after 0, sorted on
         * it, 500 a batch), and the stand-in held every commit of the log in memory at its
         * first find — the replay waiting 50-75 ms for a 6,000-commit log before applying
         * anything, and a million-commit log's documents all on the heap at once. Only for an
         * index that orders every value it holds (no walk can meet one it must give up on and
         * sort in memory), a sort the index gives whole, and no skip or projection: the other
         * finds keep the path above.
         */
        private QueryResult walk(EqualityIndex.Plan plan, Document query, int batchSize) {
            Iterator<EqualityIndex.Entry> entries;
            synchronized (plan.index()) {
                entries = plan.index().scan(plan);
            }
            IndexWalk walk = new IndexWalk(cursorRegistry.generateCursorId(), entries, query);
            List<Document> firstBatch = walk.takeDocuments(batchSize);
            if (walk.isEmpty()) {
                return new QueryResult(firstBatch);
            }
            cursorRegistry.add(walk);
            return new QueryResult(firstBatch, walk);
        }

        /**
         * A cursor over a sorted walk of an index: each batch reads the next documents as they
         * are then. The walk is of the index as it was at the find (an H2 map's cursor reads the
         * root it started from); each document is read when its batch is — one deleted since is
         * left out, one changed since is given as it is now if it still matches. MongoDB's cursors
         * behave the same way (no snapshot across batches). One document is read ahead, so that
         * the cursor knows it is exhausted when it hands out its last batch (the getMore then
         * closes it, as it does an in-memory cursor). A getMore without a batch size takes the rest.
         */
        private final class IndexWalk extends AbstractCursor {
            private final Iterator<EqualityIndex.Entry> entries;
            private final Document query;
            private Document next;

            IndexWalk(long id, Iterator<EqualityIndex.Entry> entries, Document query) {
                super(id);
                this.entries = entries;
                this.query = query;
                this.next = advance();
            }

            /** The next matching document of the walk, or null at its end. An index that orders
             *  every value has one entry per document: no document is met twice. */
            private Document advance() {
                while (entries.hasNext()) {
                    Document document = getDocument(entries.next().position());
                    if (document != null && documentMatchesQuery(document, query)) {
                        return document;
                    }
                }
                return null;
            }

            @Override
            public synchronized boolean isEmpty() {
                return next == null;
            }

            @Override
            public synchronized List<Document> takeDocuments(int numberToReturn) {
                int wanted = numberToReturn > 0 ? numberToReturn : Integer.MAX_VALUE;
                List<Document> batch = new ArrayList<>(Math.min(wanted, 1024));
                while (next != null && batch.size() < wanted) {
                    batch.add(next);
                    next = advance();
                }
                return batch;
            }
        }

        /** Whether the sort has fields the index order does not give (ties to break in memory). */
        private boolean sortFieldsBeyond(EqualityIndex.Plan plan, Document orderBy) {
            for (String field : orderBy.keySet()) {
                if (!plan.sortedFields().contains(field) && !plan.constantFields().contains(field)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * The matching documents in index order, walked until skip + limit of them are found and
         * the group of entries tied with the last one on the sorted fields is complete (the sort's
         * further fields order that group in memory). Null when a document's sorted value is one the
         * index does not order (an array, a sub-document): then the caller sorts in memory.
         */
        private List<Document> orderedMatches(EqualityIndex.Plan plan, Document query, Document orderBy, int skip,
                                              int limit) {
            long wanted = limit > 0 ? (long) skip + limit : Long.MAX_VALUE;
            int sorted = plan.sortedFields().size();
            List<Document> matched = new ArrayList<>();
            Set<Object> seen = new HashSet<>();
            String lastGroup = null;
            Iterator<EqualityIndex.Entry> entries;
            synchronized (plan.index()) {
                entries = plan.index().scan(plan);
            }
            while (entries.hasNext()) {
                EqualityIndex.Entry entry = entries.next();
                if (!seen.add(entry.position())) {
                    continue; // a multikey document, already met at its first (its sort) value
                }
                Document document = getDocument(entry.position());
                if (document == null) {
                    continue;
                }
                for (String field : plan.sortedFields()) {
                    if (!EqualityIndex.isOrdered(FieldValues.at(document, field))) {
                        return null;
                    }
                }
                if (!documentMatchesQuery(document, query)) {
                    continue;
                }
                String group = EqualityIndex.sortKey(entry, sorted);
                if (matched.size() >= wanted && !group.equals(lastGroup)) {
                    break;
                }
                matched.add(document);
                lastGroup = group;
            }
            return matched;
        }

        /** A count of `query` from index entries alone when an index can give it exactly, else -1. */
        long countByIndex(Document query) {
            if (query == null || query.isEmpty()) {
                return -1;
            }
            for (Index<Object> index : getIndexes()) {
                EqualityIndex equality = ordered(index);
                if (equality != null) {
                    long count = equality.countExactly(query);
                    if (count >= 0) {
                        return count;
                    }
                }
            }
            return -1;
        }

        boolean indexBeatsScan(Document query) {
            EqualityIndex.Plan plan = bestPlan(query, null);
            return plan != null && !scanIsCheaper(plan);
        }

        /**
         * How many documents match: from index entries alone when an index gives it exactly, else
         * by reading what the best index selects (or every document), matching each once — never
         * a list of the documents.
         */
        synchronized long countMatching(Document query) {
            if (query == null || query.isEmpty()) {
                return count();
            }
            long exact = countByIndex(query);
            if (exact >= 0) {
                return exact;
            }
            EqualityIndex.Plan plan = bestPlan(query, null);
            long count = 0;
            if (plan == null || scanIsCheaper(plan)) {
                Iterator<Document> documents = streamAllDocumentsWithPosition().map(d -> d.getDocument()).iterator();
                while (documents.hasNext()) {
                    count += documentMatchesQuery(documents.next(), query) ? 1 : 0;
                }
                return count;
            }
            Set<Object> seen = new HashSet<>();
            Iterator<EqualityIndex.Entry> entries;
            synchronized (plan.index()) {
                entries = plan.index().scan(plan);
            }
            while (entries.hasNext()) {
                Object position = entries.next().position();
                if (seen.add(position)) {
                    Document document = getDocument(position);
                    count += document != null && documentMatchesQuery(document, query) ? 1 : 0;
                }
            }
            return count;
        }

        @Override
        public synchronized int count(Document query, int skip, int limit) {
            return (int) limited(countMatching(query), skip, limit);
        }
    }

    static long limited(long count, long skip, long limit) {
        long left = Math.max(0, count - Math.max(0, skip));
        return limit > 0 ? Math.min(limit, left) : left;
    }
}
