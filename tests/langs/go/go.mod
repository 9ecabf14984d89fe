// The Go round-trip program of the cross-language tests (`cargo xtask test`).
// The generated package under gen/ is written at test time by `buf generate`
// (tests/langs/buf.gen.yaml) and is not committed. The tool directive pins
// protoc-gen-go to the runtime below, so plugin and runtime are one version.
module lokryn.test/langs/go

go 1.24

require google.golang.org/protobuf v1.36.12

tool google.golang.org/protobuf/cmd/protoc-gen-go
