// The Java round-trip program of the cross-language tests (`cargo xtask test`).
//
// It checks the buf-generated Java code (protoc's java plugin, protobuf-java,
// JsonFormat from protobuf-java-util) against the golden vectors: for every
// vector it decodes the binary, compares JsonFormat's output with the golden
// JSON as a JSON value, re-encodes the message byte for byte, and parses both
// the golden JSON and JsonFormat's own output back to the same bytes.
//
// Usage: java RoundTrip VECTORS_DIR (the directory holding manifest.json).

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.util.JsonFormat;
import com.lokryn.compliancelog.v1.LogEntry;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

public final class RoundTrip {
  private RoundTrip() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: RoundTrip VECTORS_DIR");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    JsonArray vectors = parse(read(dir.resolve("manifest.json"))).getAsJsonObject().getAsJsonArray("vectors");
    if (vectors.isEmpty()) {
      System.err.println("RoundTrip: " + dir + "/manifest.json lists no vectors");
      System.exit(2);
    }
    int passed = 0;
    int failed = 0;
    for (JsonElement entry : vectors) {
      JsonObject v = entry.getAsJsonObject();
      String name = v.get("name").getAsString();
      byte[] binary = Files.readAllBytes(dir.resolve(v.get("binary").getAsString()));
      String golden = read(dir.resolve(v.get("json").getAsString()));
      List<String> errors = check(binary, golden);
      if (errors.isEmpty()) {
        passed++;
      } else {
        failed++;
        for (String error : errors) {
          System.err.println("FAIL " + name + ": " + error);
        }
      }
    }
    System.out.println("java: " + passed + " passed, " + failed + " failed");
    System.exit(failed == 0 ? 0 : 1);
  }

  /** Runs every comparison on one vector and returns what did not match. */
  static List<String> check(byte[] binary, String golden) {
    List<String> errors = new ArrayList<>();
    LogEntry msg;
    String written;
    try {
      msg = LogEntry.parseFrom(binary);
      written = JsonFormat.printer().print(msg);
    } catch (Exception e) {
      errors.add("decoding the binary and printing it as JSON: " + e);
      return errors;
    }
    if (!sameJsonValue(parse(written), parse(golden))) {
      errors.add("JsonFormat output differs from the golden JSON\n  got:  "
          + parse(written) + "\n  want: " + parse(golden));
    }
    sameBytes(errors, "re-encoding the decoded message", msg.toByteArray(), binary);
    for (String[] source : new String[][] {{"the golden JSON", golden}, {"JsonFormat's own output", written}}) {
      try {
        LogEntry.Builder parsed = LogEntry.newBuilder();
        JsonFormat.parser().merge(source[1], parsed);
        sameBytes(errors, "encoding " + source[0], parsed.build().toByteArray(), binary);
      } catch (Exception e) {
        errors.add("parsing " + source[0] + ": " + e);
      }
    }
    return errors;
  }

  /**
   * Compares two JSON values: object member order does not matter, numbers
   * compare as numbers (1e21 == 1.0E21), everything else exactly.
   */
  static boolean sameJsonValue(JsonElement a, JsonElement b) {
    if (a.isJsonObject() && b.isJsonObject()) {
      Map<String, JsonElement> x = a.getAsJsonObject().asMap();
      Map<String, JsonElement> y = b.getAsJsonObject().asMap();
      if (!x.keySet().equals(y.keySet())) {
        return false;
      }
      return x.keySet().stream().allMatch(k -> sameJsonValue(x.get(k), y.get(k)));
    }
    if (a.isJsonArray() && b.isJsonArray()) {
      JsonArray x = a.getAsJsonArray();
      JsonArray y = b.getAsJsonArray();
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!sameJsonValue(x.get(i), y.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a.isJsonPrimitive() && b.isJsonPrimitive()) {
      JsonPrimitive x = a.getAsJsonPrimitive();
      JsonPrimitive y = b.getAsJsonPrimitive();
      if (x.isNumber() && y.isNumber()) {
        return new BigDecimal(x.getAsString()).compareTo(new BigDecimal(y.getAsString())) == 0;
      }
      return x.isNumber() == y.isNumber() && x.isString() == y.isString() && x.equals(y);
    }
    return a.equals(b);
  }

  static void sameBytes(List<String> errors, String what, byte[] got, byte[] want) {
    if (java.util.Arrays.equals(got, want)) {
      return;
    }
    int i = java.util.Arrays.mismatch(got, want);
    HexFormat hex = HexFormat.of();
    errors.add(what + ": " + got.length + " bytes, want " + want.length + "; first difference at byte " + i
        + "\n  got:  " + hex.formatHex(got) + "\n  want: " + hex.formatHex(want));
  }

  static JsonElement parse(String text) {
    return JsonParser.parseString(text);
  }

  static String read(Path path) throws java.io.IOException {
    return new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
  }
}
