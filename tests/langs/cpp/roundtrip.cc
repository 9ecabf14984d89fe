// The C++ round-trip program of the cross-language tests (`cargo xtask test`).
//
// It checks the buf-generated C++ code (protoc's cpp plugin, libprotobuf and
// its JSON utilities) against the golden vectors: for every vector it decodes
// the binary, compares MessageToJsonString's output with the golden JSON as a
// JSON value, re-encodes the message byte for byte, and parses both the golden
// JSON and its own output back to the same bytes.
//
// JSON values are compared by parsing both texts into google.protobuf.Value
// (a Struct for objects, doubles for numbers) and comparing those with
// MessageDifferencer, so member order and number spelling do not matter.
//
// Usage: roundtrip VECTORS_DIR (the directory holding manifest.json).

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "lokryn/compliancelog/v1/logentry.pb.h"

namespace {

using google::protobuf::Value;
using google::protobuf::util::JsonStringToMessage;
using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::MessageToJsonString;
using lokryn::compliancelog::v1::LogEntry;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "roundtrip: cannot read " << path << "\n";
    std::exit(2);
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Hex(const std::string& bytes) {
  std::string out;
  char buf[3];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

bool ParseValue(const std::string& json, Value* value) {
  return JsonStringToMessage(json, value).ok();
}

void SameBytes(std::vector<std::string>& errors, const std::string& what, const std::string& got,
               const std::string& want) {
  if (got == want) return;
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  errors.push_back(what + ": " + std::to_string(got.size()) + " bytes, want " + std::to_string(want.size()) +
                   "; first difference at byte " + std::to_string(i) + "\n  got:  " + Hex(got) +
                   "\n  want: " + Hex(want));
}

// Runs every comparison on one vector and returns what did not match.
std::vector<std::string> Check(const std::string& binary, const std::string& golden) {
  std::vector<std::string> errors;
  LogEntry msg;
  if (!msg.ParseFromString(binary)) return {"decoding the binary failed"};

  std::string written;
  if (auto status = MessageToJsonString(msg, &written); !status.ok()) {
    return {"MessageToJsonString: " + status.ToString()};
  }
  Value got, want;
  if (!ParseValue(written, &got)) errors.push_back("MessageToJsonString wrote invalid JSON: " + written);
  if (!ParseValue(golden, &want)) errors.push_back("the golden JSON is not JSON");
  if (errors.empty() && !MessageDifferencer::Equals(got, want)) {
    errors.push_back("MessageToJsonString output differs from the golden JSON\n  got:  " + written +
                     "\n  want: " + golden);
  }
  SameBytes(errors, "re-encoding the decoded message", msg.SerializeAsString(), binary);

  const std::pair<std::string, const std::string*> sources[] = {{"the golden JSON", &golden},
                                                                {"MessageToJsonString's own output", &written}};
  for (const auto& [what, text] : sources) {
    LogEntry parsed;
    if (auto status = JsonStringToMessage(*text, &parsed); !status.ok()) {
      errors.push_back("parsing " + what + ": " + status.ToString());
      continue;
    }
    SameBytes(errors, "encoding " + what, parsed.SerializeAsString(), binary);
  }
  return errors;
}

}  // namespace

int main(int argc, char** argv) {
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  if (argc != 2) {
    std::cerr << "usage: roundtrip VECTORS_DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  // The manifest is read with the same JSON parser, as a google.protobuf.Value.
  Value manifest;
  if (!ParseValue(Read(dir + "/manifest.json"), &manifest)) {
    std::cerr << "roundtrip: " << dir << "/manifest.json is not JSON\n";
    return 2;
  }
  const auto& vectors = manifest.struct_value().fields().at("vectors").list_value().values();
  if (vectors.empty()) {
    std::cerr << "roundtrip: " << dir << "/manifest.json lists no vectors\n";
    return 2;
  }
  int passed = 0, failed = 0;
  for (const Value& entry : vectors) {
    const auto& v = entry.struct_value().fields();
    const std::string& name = v.at("name").string_value();
    auto errors = Check(Read(dir + "/" + v.at("binary").string_value()), Read(dir + "/" + v.at("json").string_value()));
    if (errors.empty()) {
      ++passed;
    } else {
      ++failed;
      for (const auto& error : errors) std::cerr << "FAIL " << name << ": " << error << "\n";
    }
  }
  std::cout << "c++: " << passed << " passed, " << failed << " failed" << std::endl;
  return failed == 0 ? 0 : 1;
}
