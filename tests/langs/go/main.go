// Command roundtrip checks the buf-generated Go code (protoc-gen-go, protojson)
// against the golden vectors: for every vector it decodes the binary, compares
// protojson's output with the golden JSON as a JSON value, re-encodes the
// message byte for byte, and parses both the golden JSON and protojson's own
// output back to the same bytes.
//
// Usage: roundtrip VECTORS_DIR (the directory holding manifest.json).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	compliancelogv1 "lokryn.test/langs/go/gen/lokryn/compliancelog/v1"
)

type manifest struct {
	Vectors []struct {
		Name   string `json:"name"`
		Binary string `json:"binary"`
		JSON   string `json:"json"`
	} `json:"vectors"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: roundtrip VECTORS_DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	var m manifest
	if err := json.Unmarshal(mustRead(filepath.Join(dir, "manifest.json")), &m); err != nil {
		fatal("manifest.json: %v", err)
	}
	if len(m.Vectors) == 0 {
		fatal("%s/manifest.json lists no vectors", dir)
	}
	passed, failed := 0, 0
	for _, v := range m.Vectors {
		if errs := check(mustRead(filepath.Join(dir, v.Binary)), mustRead(filepath.Join(dir, v.JSON))); len(errs) > 0 {
			failed++
			for _, err := range errs {
				fmt.Fprintf(os.Stderr, "FAIL %s: %s\n", v.Name, err)
			}
		} else {
			passed++
		}
	}
	fmt.Printf("go: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// check runs every comparison on one vector and returns what did not match.
func check(binary, golden []byte) []string {
	var errs []string
	msg := &compliancelogv1.LogEntry{}
	if err := proto.Unmarshal(binary, msg); err != nil {
		return []string{fmt.Sprintf("decoding the binary: %v", err)}
	}

	written, err := protojson.Marshal(msg)
	if err != nil {
		return []string{fmt.Sprintf("protojson.Marshal: %v", err)}
	}
	if e := sameJSONValue(written, golden); e != "" {
		errs = append(errs, "protojson output differs from the golden JSON: "+e)
	}
	if e := sameBytes("re-encoding the decoded message", encode(msg), binary); e != "" {
		errs = append(errs, e)
	}
	for _, source := range []struct {
		what string
		text []byte
	}{{"the golden JSON", golden}, {"protojson's own output", written}} {
		parsed := &compliancelogv1.LogEntry{}
		if err := protojson.Unmarshal(source.text, parsed); err != nil {
			errs = append(errs, fmt.Sprintf("parsing %s: %v", source.what, err))
			continue
		}
		if e := sameBytes("encoding "+source.what, encode(parsed), binary); e != "" {
			errs = append(errs, e)
		}
	}
	return errs
}

func encode(msg proto.Message) []byte {
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return []byte(fmt.Sprintf("<proto.Marshal failed: %v>", err))
	}
	return out
}

// sameJSONValue compares two JSON texts as values: object member order and
// whitespace do not matter, numbers compare as numbers (1e21 == 1E+21).
func sameJSONValue(got, want []byte) string {
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Sprintf("not JSON (%v): %s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		return fmt.Sprintf("golden file is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("\n  got:  %s\n  want: %s", compact(got), compact(want))
	}
	return ""
}

func sameBytes(what string, got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Sprintf("%s: %d bytes, want %d; first difference at byte %d\n  got:  %x\n  want: %x",
		what, len(got), len(want), i, got, want)
}

func compact(text []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, text) != nil {
		return string(text)
	}
	return b.String()
}

func mustRead(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		fatal("%v", err)
	}
	return data
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "roundtrip: "+format+"\n", args...)
	os.Exit(2)
}
