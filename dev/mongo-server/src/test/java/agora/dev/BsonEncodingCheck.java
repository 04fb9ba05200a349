package agora.dev;

import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonJavaScript;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Decimal128;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.LegacyUUID;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.h2.mvstore.WriteBuffer;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The stand-in's document encoder against mongo-java-server's: the same bytes for every BSON type
 * the stand-in stores (nested documents and arrays, plain maps and sets, empty ones, non-ASCII and
 * lone-surrogate keys and strings), the same refusal of what BSON cannot carry, and a round trip
 * through H2's buffer and the decoder (a document written, read back and written again gives the
 * same bytes). Run by tests/integration/kit/test_standin_encoding.py against the
 * built stand-in; exits non-zero, naming the document, on the first difference.
 */
public final class BsonEncodingCheck {

    private BsonEncodingCheck() {
    }

    public static void main(String[] args) {
        List<Document> documents = representative();
        for (int i = 0; i < documents.size(); i++) {
            Document document = documents.get(i);
            byte[] expected = theirs(document);
            byte[] ours = ours(document);
            check(Arrays.equals(expected, ours), i, "encoders differ", document);
            byte[] roundTrip = roundTrip(document);
            check(Arrays.equals(expected, roundTrip), i, "round trip differs", document);
        }
        for (Document refused : List.of(new Document("date", new java.util.Date(0)),
                                        new Document("missing", Missing.getInstance()))) {
            check(throwsIllegalArgument(() -> theirs(refused)) && throwsIllegalArgument(() -> ours(refused)),
                -1, "refusal differs", refused);
        }
        System.out.println("same bytes for " + documents.size() + " documents");
    }

    /** Documents holding every type the stand-in stores, nested as clients nest them. */
    static List<Document> representative() {
        List<Document> documents = new ArrayList<>();
        documents.add(new Document());
        Document all = new Document("_id", new ObjectId("65a000000000000000000001"));
        all.put("double", 0.25);
        all.put("negativeZero", -0.0);
        all.put("nan", Double.NaN);
        all.put("string", "plain");
        all.put("empty", "");
        all.put("accents", "\u00e9t\u00e9 \u4e2d\u6587 \ud83d\ude00");
        all.put("loneSurrogate", "a\ud800b");
        all.put("embedded", new Document("x", 1).append("y", new Document()));
        Map<String, Object> plainMap = new LinkedHashMap<>();
        plainMap.put("b", 2);
        plainMap.put("a", List.of(1, 2));
        all.put("plainMap", plainMap);
        all.put("array", List.of(1, "two", new Document("three", 3), List.of(), List.of(List.of(4))));
        all.put("set", new LinkedHashSet<>(List.of("z", "y", "x")));
        all.put("emptyArray", List.of());
        all.put("binData", new BinData(new byte[] {0, 1, 2, (byte) 255}));
        all.put("uuid", UUID.fromString("00000000-0000-0000-0000-000000000007"));
        all.put("legacyUuid", new LegacyUUID(UUID.fromString("12345678-9abc-def0-1234-56789abcdef0")));
        all.put("objectId", new ObjectId("65a0000000000000000000ff"));
        all.put("true", true);
        all.put("false", false);
        all.put("instant", Instant.parse("2026-03-04T05:06:07.890Z"));
        all.put("null", null);
        all.put("regex", new BsonRegularExpression("^a.*$", "im"));
        all.put("int32", Integer.MIN_VALUE);
        all.put("timestamp", new BsonTimestamp(Instant.ofEpochSecond(1_700_000_000L), 7));
        all.put("int64", Long.MAX_VALUE);
        all.put("decimal", new Decimal128(new BigDecimal("10.10")));
        all.put("maxKey", MaxKey.getInstance());
        all.put("minKey", MinKey.getInstance());
        all.put("javaScript", new BsonJavaScript("function () { return 1; }"));
        all.put("cl\u00e9", "non-ASCII key");
        all.put("k\udc00", "lone surrogate key");
        documents.add(all);
        documents.add(new Document("deep", nested(40)));
        Document wide = new Document("_id", 1);
        List<Object> items = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            wide.put("field" + i, i % 2 == 0 ? (Object) ("value " + i) : (Object) (long) i);
            items.add(new Document("n", i).append("tags", List.of("t" + i % 3, "all")));
        }
        wide.put("items", items);
        documents.add(wide);
        return documents;
    }

    private static Document nested(int depth) {
        Document document = new Document("depth", depth);
        if (depth > 0) {
            document.put("child", nested(depth - 1));
            document.put("siblings", List.of(new Document("depth", depth), depth));
        }
        return document;
    }

    static byte[] theirs(Document document) {
        ByteBuf out = Unpooled.buffer();
        BsonEncoder.encodeDocument(document, out);
        return bytes(out);
    }

    static byte[] ours(Document document) {
        ByteBuf out = Unpooled.buffer();
        DocumentType.encode(document, out);
        return bytes(out);
    }

    /** Written by the stand-in's type into H2's buffer, read back, then written again. */
    private static byte[] roundTrip(Document document) {
        WriteBuffer first = new WriteBuffer();
        DocumentType.INSTANCE.write(first, document);
        Object read = DocumentType.INSTANCE.read(first.getBuffer().flip());
        check(read instanceof Document, -1, "not read back as a document", document);
        WriteBuffer second = new WriteBuffer();
        DocumentType.INSTANCE.write(second, read);
        ByteBuffer written = second.getBuffer().flip();
        check(written.get() == 125, -1, "not tagged as BSON", document);
        int length = org.h2.mvstore.DataUtils.readVarInt(written);
        byte[] bson = new byte[length];
        written.get(bson);
        check(theirs(BsonDecoder.decodeBson(Unpooled.wrappedBuffer(bson))).length == length, -1,
            "decoded document re-encodes to another length", document);
        return bson;
    }

    private static byte[] bytes(ByteBuf out) {
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        out.release();
        return bytes;
    }

    private static boolean throwsIllegalArgument(Runnable encoding) {
        try {
            encoding.run();
            return false;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    private static void check(boolean ok, int index, String what, Document document) {
        if (!ok) {
            System.err.println(what + " (document " + index + "): " + document);
            System.exit(1);
        }
    }
}
