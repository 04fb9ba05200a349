package agora.dev;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.ObjectDataType;

import java.nio.ByteBuffer;

/**
 * H2's generic value type for the documents of a collection, writing each document as BSON
 * instead of by Java serialization.
 *
 * <p>Why: under writes, Java serialization of the changed documents at every commit was half of
 * the stand-in's CPU (a profile, in the background writer; on a 2-core machine it competes with
 * the requests). BSON is the documents' own format and several times cheaper to write and read.
 *
 * <p>Format: a document is the tag {@link #TAG_BSON} (a tag H2's ObjectDataType does not use), its
 * length, its BSON bytes. Everything else — and a document BSON cannot carry — is written as H2
 * writes it, and values written by an older stand-in (Java-serialized) are still read, so a file
 * converts itself page by page as pages are rewritten.
 */
final class DocumentType extends ObjectDataType {

    static final DocumentType INSTANCE = new DocumentType();

    private static final byte TAG_BSON = 125;

    static MVMap.Builder<Object, Document> mapBuilder() {
        return new MVMap.Builder<Object, Document>().valueType(INSTANCE);
    }

    @Override
    public void write(WriteBuffer buffer, Object value) {
        if (value instanceof Document document) {
            byte[] bson = bson(document);
            if (bson != null) {
                buffer.put(TAG_BSON).putVarInt(bson.length).put(bson);
                return;
            }
        }
        super.write(buffer, value);
    }

    @Override
    public Object read(ByteBuffer buffer) {
        if (buffer.get(buffer.position()) != TAG_BSON) {
            return super.read(buffer);
        }
        buffer.get();
        byte[] bson = new byte[DataUtils.readVarInt(buffer)];
        buffer.get(bson);
        return BsonDecoder.decodeBson(Unpooled.wrappedBuffer(bson));
    }

    /** The document's BSON, or null for one holding a value BSON has no type for (then H2's own format). */
    private static byte[] bson(Document document) {
        ByteBuf out = Unpooled.buffer(256);
        try {
            BsonEncoder.encodeDocument(document, out);
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return bytes;
        } catch (RuntimeException e) {
            return null;
        } finally {
            out.release();
        }
    }
}
