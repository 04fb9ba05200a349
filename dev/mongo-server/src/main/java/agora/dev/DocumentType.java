package agora.dev;

import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.wire.BsonConstants;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.ObjectDataType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;

/**
 * H2's generic type for every key and value the stand-in stores — documents, their ids (the data
 * maps' keys, the indexes' positions) and unique index keys — written in formats of their own
 * instead of by Java serialization, and sized for the page cache by what they hold.
 *
 * <p>Why: under writes, Java serialization at every commit was half of the stand-in's CPU (a
 * profile, in the background writer; on a 2-core machine it competes with the requests): first the
 * documents (now BSON, their own format), then the ObjectIds and unique index keys (now a few bytes
 * each). And H2 sizes what it cannot read at 10,000 bytes an object: every document, id and key
 * counted as 10 KB, so the 256 MB page cache held a few hundred index pages and thrashed as the
 * data grew (every command paid page reads and decoding, `_id` lookups included), and a commit
 * was forced every few dozen changed pages, each rewriting its pages' paths to the root (the file
 * grew by megabytes a second and the young generation churned through them).
 *
 * <p>Format: a tag H2's ObjectDataType does not use, then the value — a document as its BSON
 * ({@link #TAG_BSON}, its length first), an ObjectId as its 12 bytes ({@link #TAG_OBJECT_ID}), a
 * unique index key as its element count and each element in this same format
 * ({@link #TAG_KEY_VALUE}), an ASCII string as its bytes ({@link #TAG_ASCII}). Everything else — and a document BSON cannot carry — is written as H2
 * writes it, and values written by an older stand-in (Java-serialized) are still read, so a file
 * converts itself page by page as pages are rewritten. Order is H2's (this type only writes, reads
 * and sizes), so a map keeps its order across the change.
 */
class DocumentType extends ObjectDataType {

    static final DocumentType INSTANCE = new DocumentType();

    private static final byte TAG_OBJECT_ID = 123;
    private static final byte TAG_KEY_VALUE = 124;
    private static final byte TAG_BSON = 125;
    private static final byte TAG_ASCII = 126;

    /** The stand-in's maps: keys and values in this type. Every opening of a map the stand-in
     *  writes goes through here, as the first one fixes its types for the life of the store. */
    static <K, V> MVMap.Builder<K, V> mapBuilder() {
        return new MVMap.Builder<K, V>().keyType(INSTANCE).valueType(INSTANCE);
    }

    @Override
    public void write(WriteBuffer buffer, Object value) {
        if (value instanceof Document document) {
            byte[] bson = bson(document);
            if (bson != null) {
                buffer.put(TAG_BSON).putVarInt(bson.length).put(bson);
                return;
            }
        } else if (value instanceof ObjectId id) {
            buffer.put(TAG_OBJECT_ID).put(id.toByteArray());
            return;
        } else if (value instanceof String string && writeAscii(buffer, string)) {
            return;
        } else if (value instanceof KeyValue key) {
            buffer.put(TAG_KEY_VALUE).putVarInt(key.size());
            for (Object element : key) {
                write(buffer, element);
            }
            return;
        }
        super.write(buffer, value);
    }

    @Override
    public Object read(ByteBuffer buffer) {
        switch (buffer.get(buffer.position())) {
            case TAG_BSON -> {
                buffer.get();
                byte[] bson = new byte[DataUtils.readVarInt(buffer)];
                buffer.get(bson);
                return BsonDecoder.decodeBson(Unpooled.wrappedBuffer(bson));
            }
            case TAG_OBJECT_ID -> {
                buffer.get();
                byte[] id = new byte[12];
                buffer.get(id);
                return new ObjectId(id);
            }
            case TAG_ASCII -> {
                buffer.get();
                byte[] ascii = new byte[DataUtils.readVarInt(buffer)];
                buffer.get(ascii);
                return new String(ascii, StandardCharsets.ISO_8859_1);
            }
            case TAG_KEY_VALUE -> {
                buffer.get();
                Object[] elements = new Object[DataUtils.readVarInt(buffer)];
                for (int i = 0; i < elements.length; i++) {
                    elements[i] = read(buffer);
                }
                return new KeyValue(elements);
            }
            default -> {
                return super.read(buffer);
            }
        }
    }

    /** The page cache's and the commit trigger's measure: an estimate of the heap a value holds. */
    @Override
    public int getMemory(Object value) {
        if (value instanceof Document || value instanceof ObjectId || value instanceof KeyValue) {
            return heapBytes(value);
        }
        return super.getMemory(value);
    }

    @Override
    public int compare(Object a, Object b) {
        if (a instanceof ObjectId x && b instanceof ObjectId y) {
            return x.compareTo(y); // what H2 does for two Comparables of one class, without its detour
        }
        return super.compare(a, b);
    }

    /** Roughly what a value occupies on the heap (a map entry ~48 bytes, a boxed scalar ~24). */
    static int heapBytes(Object value) {
        if (value == null) {
            return 8;
        }
        if (value instanceof String string) {
            return 48 + string.length();
        }
        if (value instanceof Document document) {
            int bytes = 80;
            for (Map.Entry<String, Object> entry : document.entrySet()) {
                bytes += 48 + heapBytes(entry.getKey()) + heapBytes(entry.getValue());
            }
            return bytes;
        }
        if (value instanceof Collection<?> || value instanceof KeyValue) {
            int bytes = 48;
            for (Object element : (Iterable<?>) value) {
                bytes += 8 + heapBytes(element);
            }
            return bytes;
        }
        if (value instanceof ObjectId) {
            return 48;
        }
        if (value instanceof byte[] bytes) {
            return 24 + bytes.length;
        }
        return 24;
    }

    /**
     * An ASCII string as its bytes, copied whole ({@link #TAG_ASCII}); false (nothing written) for
     * any other, which H2 writes char by char. Why: the secondary indexes' entries are strings
     * (EqualityIndex), and H2's char-by-char writer was 6 % of the stand-in's samples under writes
     * (every commit writes every entry of every index page it rewrites); the JDK encodes an ASCII
     * string with one copy. Exact: any other character takes two bytes or more in UTF-8, but for
     * a lone surrogate, which the JDK replaces by one '?' (checked).
     */
    private static boolean writeAscii(WriteBuffer buffer, String string) {
        byte[] bytes = string.getBytes(StandardCharsets.UTF_8);
        if (bytes.length != string.length()) {
            return false;
        }
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '?' && string.charAt(i) != '?') {
                return false;
            }
        }
        buffer.put(TAG_ASCII).putVarInt(bytes.length).put(bytes);
        return true;
    }

    /** The document's size in BSON bytes (0 for one BSON cannot carry, which no client can send). */
    static int bsonSize(Document document) {
        byte[] bson = bson(document);
        return bson == null ? 0 : bson.length;
    }

    /** The document's BSON, or null for one holding a value BSON has no type for (then H2's own format). */
    private static byte[] bson(Document document) {
        ByteBuf out = Unpooled.buffer(256);
        try {
            encode(document, out);
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return bytes;
        } catch (RuntimeException e) {
            return null;
        } finally {
            out.release();
        }
    }

    /**
     * A document's BSON, byte for byte what mongo-java-server's {@code BsonEncoder.encodeDocument}
     * writes, walking its entries once. Why: that encoder looks every key up again
     * ({@code document.get(key)} for each of {@code keySet()}) and turns every array into a
     * Document keyed "0", "1", … before encoding it; at a commit, which encodes every document of
     * every page it rewrites, those lookups were some 60 % of the encoding (Flight Recorder at
     * 2,501 posts). Scalars are still encoded by mongo-java-server ({@code encodeValue}, per value).
     */
    static void encode(Map<String, ?> document, ByteBuf out) {
        int start = out.writerIndex();
        out.writeIntLE(0); // the length, written once known
        for (Map.Entry<String, ?> entry : document.entrySet()) {
            encodeElement(entry.getKey(), entry.getValue(), out);
        }
        finish(start, out);
    }

    /** An array: its elements keyed by their index, in the collection's order (as BsonEncoder's list copy). */
    private static void encodeArray(Collection<?> array, ByteBuf out) {
        int start = out.writerIndex();
        out.writeIntLE(0);
        int index = 0;
        for (Object element : array) {
            encodeElement(String.valueOf(index++), element, out);
        }
        finish(start, out);
    }

    private static void encodeElement(String key, Object value, ByteBuf out) {
        byte type = BsonEncoder.determineType(value);
        out.writeByte(type);
        out.writeBytes(key.getBytes(StandardCharsets.UTF_8)); // as BsonEncoder: a lone surrogate becomes '?'
        out.writeByte(BsonConstants.STRING_TERMINATION);
        if (type == BsonConstants.TYPE_EMBEDDED_DOCUMENT) {
            @SuppressWarnings("unchecked")
            Map<String, ?> embedded = (Map<String, ?>) value;
            encode(embedded, out);
        } else if (type == BsonConstants.TYPE_ARRAY) {
            encodeArray((Collection<?>) value, out);
        } else {
            BsonEncoder.encodeValue(type, value, out);
        }
    }

    /** Closes a document or an array: its terminating byte, then its length at its start. */
    private static void finish(int start, ByteBuf out) {
        out.writeByte(BsonConstants.TERMINATING_BYTE);
        out.setIntLE(start, out.writerIndex() - start);
    }
}
