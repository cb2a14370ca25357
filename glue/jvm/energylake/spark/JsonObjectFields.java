package energylake.spark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF3;

/**
 * One JSON object per line, read in one streaming pass over its UTF-8 bytes (the energylake.jvm Spark function).
 *
 * <p>Arguments: the line as bytes, the known top-level keys (comma-separated) and the key of one nested object
 * whose members are returned as entries (a device record's metrics). Returns the struct declared in
 * energylake/jvm.py: whether the line is not one JSON object, its unknown keys (sorted, comma-joined), its first
 * repeated key, each known key's value as text and as a number, the nested object's members, and whether
 * anything but whitespace follows the object (a second record on the same line, stray text).
 *
 * <p>Values follow Spark's from_json with a map of strings: a string as is, JSON null as null, any other value
 * as JSON text (a number as written); numbers are also returned as doubles, so they need no cast from text. The
 * parser accepts what Spark's JSON reader accepts by default (single quotes, NaN and Infinity).
 */
public final class JsonObjectFields implements UDF3<byte[], String, String, Row> {
  private static final long serialVersionUID = 1L;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  private static final Row MALFORMED = RowFactory.create(true, null, null, null, null, null, false);

  // Per task: the key layout of the last call (the arguments are constants of the query) and a text buffer.
  private transient String preparedKeys;
  private transient String preparedNested;
  private transient HashMap<String, Integer> positions;
  private transient int nestedPosition;
  private transient ByteArrayOutputStream buffer;

  private void prepare(String keys, String nested) {
    String[] names = keys.split(",");
    positions = new HashMap<>(names.length * 2);
    for (int i = 0; i < names.length; i++) {
      positions.put(names[i], i);
    }
    nestedPosition = positions.getOrDefault(nested, -1);
    buffer = new ByteArrayOutputStream(256);
    preparedKeys = keys;
    preparedNested = nested;
  }

  /** A non-object value as Spark's JSON reader writes it into a string: JSON text, as compact as Jackson's. */
  private String text(JsonParser parser, JsonToken token) throws IOException {
    switch (token) {
      case VALUE_NULL:
        return null;
      case VALUE_NUMBER_FLOAT:
        if (parser.isNaN()) {
          break; // NaN and Infinity: Spark's generator writes them quoted, as text that is not a number
        }
        return parser.getText();
      case VALUE_STRING:
      case VALUE_NUMBER_INT:
      case VALUE_TRUE:
      case VALUE_FALSE:
        return parser.getText();
      default:
        break;
    }
    buffer.reset();
    try (JsonGenerator generator = FACTORY.createGenerator(buffer)) {
      generator.copyCurrentStructure(parser);
    }
    return buffer.toString(StandardCharsets.UTF_8);
  }

  /** A finite JSON number as a double (null for any other value: NaN and Infinity are not numbers here). */
  private static Double number(JsonParser parser, JsonToken token) throws IOException {
    boolean finite =
        token == JsonToken.VALUE_NUMBER_INT || (token == JsonToken.VALUE_NUMBER_FLOAT && !parser.isNaN());
    return finite ? parser.getDoubleValue() : null;
  }

  @Override
  public Row call(byte[] line, String keys, String nested) throws IOException {
    if (line == null) {
      return null;
    }
    if (!keys.equals(preparedKeys) || !nested.equals(preparedNested)) {
      prepare(keys, nested);
    }
    String[] texts = new String[positions.size()];
    Double[] numbers = new Double[positions.size()];
    boolean[] seen = new boolean[positions.size()];
    TreeSet<String> unknown = null;
    String repeated = null;
    List<Row> entries = null;
    boolean trailing;
    try (JsonParser parser = FACTORY.createParser(line)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return MALFORMED;
      }
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String key = parser.getCurrentName();
        JsonToken value = parser.nextToken();
        Integer at = positions.get(key);
        if (at == null) {
          if (unknown == null) {
            unknown = new TreeSet<>();
          }
          unknown.add(key);
          parser.skipChildren();
          continue;
        }
        if (seen[at]) {
          repeated = repeated == null ? key : repeated;
          parser.skipChildren();
          continue;
        }
        seen[at] = true;
        if (at == nestedPosition && value == JsonToken.START_OBJECT) {
          entries = new ArrayList<>();
          while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String member = parser.getCurrentName();
            JsonToken memberValue = parser.nextToken();
            Double number = number(parser, memberValue);
            entries.add(RowFactory.create(member, number, number == null ? text(parser, memberValue) : null));
          }
        } else {
          numbers[at] = number(parser, value);
          texts[at] = text(parser, value);
        }
      }
      if (token != JsonToken.END_OBJECT) {
        return MALFORMED;
      }
      // One JSON value per line: the object's fields are still read (as from_json reads them), and the
      // caller quarantines the line.
      trailing = hasTrailingContent(parser);
    } catch (JsonProcessingException e) {
      return MALFORMED;
    }
    return RowFactory.create(
        false,
        unknown == null ? null : String.join(",", unknown),
        repeated,
        Arrays.asList(texts),
        Arrays.asList(numbers),
        entries,
        trailing);
  }

  /**
   * Whether anything but whitespace follows the value just read. Spark's from_json stops after the first
   * value and drops the rest, so a line holding two records (or a record and stray text) lost all but one.
   */
  private static boolean hasTrailingContent(JsonParser parser) throws IOException {
    try {
      return parser.nextToken() != null;
    } catch (JsonProcessingException e) {
      return true; // text after the value that is not even a JSON token
    }
  }
}
