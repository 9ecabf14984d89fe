// ledgercheck: checks a lokryn ledger with Go's sumdb/tlog and sumdb/note,
// and makes proofs and notes for the ledger's own checker.
//
//	ledgercheck verify <ledger dir> <public key file> <proof dir>
//	ledgercheck make <out dir>
//
// verify recomputes the tree from entries.ldpb, compares every kept signed
// checkpoint (opened with the public key) and every hash tile with what tlog
// computes, signs the latest checkpoint text with the private key named in
// ledger.json and compares the signature byte for byte (Ed25519 is
// deterministic), and checks every inclusion-*.json and consistency-*.json
// in the proof dir (written by `complog ledger prove`). It exits 1 naming
// the first disagreement.
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ledgercheck: "+format+"\n", args...)
	os.Exit(1)
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// checkpoint is a parsed C2SP tlog-checkpoint body.
type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return checkpoint{}, errors.New("short checkpoint")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return checkpoint{}, err
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, err
	}
	return checkpoint{lines[0], size, root}, nil
}

func openCheckpoint(path string, verifiers note.Verifiers) (checkpoint, []byte) {
	msg, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, verifiers)
	if err != nil {
		fail("%s: note.Open: %v", path, err)
	}
	cp, err := parseCheckpoint(n.Text)
	if err != nil {
		fail("%s: %v", path, err)
	}
	return cp, msg
}

func readKeyLine(path string, private bool) string {
	b, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && strings.HasPrefix(l, "PRIVATE+KEY+") == private {
			return l
		}
	}
	fail("%s: no key line", path)
	return ""
}

// readEntries reads varint-length-delimited entries.
func readEntries(path string, limit int64) [][]byte {
	f, err := os.Open(path)
	if err != nil {
		fail("%v", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var out [][]byte
	for int64(len(out)) < limit {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			fail("%s: entry %d: %v", path, len(out), err)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			fail("%s: entry %d: %v", path, len(out), err)
		}
		out = append(out, b)
	}
	return out
}

// tilePath is the C2SP tlog-tiles path (no height element, unlike sumdb's).
func tilePath(t tlog.Tile) string {
	n := fmt.Sprintf("%03d", t.N%1000)
	for x := t.N / 1000; x > 0; x /= 1000 {
		n = fmt.Sprintf("x%03d/", x%1000) + n
	}
	p := fmt.Sprintf("tile/%d/%s", t.L, n)
	if t.W < 256 {
		p += fmt.Sprintf(".p/%d", t.W)
	}
	return p
}

type proofJSON struct {
	Type  string   `json:"type"`
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Leaf  string   `json:"leaf"`
	Entry string   `json:"entry,omitempty"`
	Size1 int64    `json:"size1"`
	Size2 int64    `json:"size2"`
	Proof []string `json:"proof"`
}

func hashes(items []string) []tlog.Hash {
	out := make([]tlog.Hash, len(items))
	for i, s := range items {
		h, err := tlog.ParseHash(s)
		if err != nil {
			fail("proof hash %d: %v", i, err)
		}
		out[i] = h
	}
	return out
}

func verify(dir, pubFile, proofDir string) {
	vkey := readKeyLine(pubFile, false)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("note.NewVerifier: %v", err)
	}
	verifiers := note.VerifierList(v)
	latest, latestMsg := openCheckpoint(filepath.Join(dir, "checkpoint"), verifiers)
	if latest.origin != v.Name() {
		fail("origin %q is not the key name %q", latest.origin, v.Name())
	}

	// The tree, from the entries, by tlog.
	entries := readEntries(filepath.Join(dir, "entries.ldpb"), latest.size)
	var stored memHashes
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, stored)
		if err != nil {
			fail("StoredHashes(%d): %v", i, err)
		}
		stored = append(stored, hs...)
	}
	root, err := tlog.TreeHash(latest.size, stored)
	if err != nil {
		fail("TreeHash: %v", err)
	}
	if root != latest.root {
		fail("tlog's root of %d entries is %v, the checkpoint says %v", latest.size, root, latest.root)
	}

	// Every kept checkpoint.
	names, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*"))
	sort.Strings(names)
	kept := 0
	for _, name := range names {
		if strings.HasPrefix(filepath.Base(name), ".") {
			continue
		}
		cp, _ := openCheckpoint(name, verifiers)
		if strconv.FormatInt(cp.size, 10) != filepath.Base(name) {
			fail("%s holds size %d", name, cp.size)
		}
		want := tlog.Hash{}
		if cp.size == 0 {
			want = tlog.Hash(sha256Empty())
		} else if want, err = tlog.TreeHash(cp.size, stored); err != nil {
			fail("TreeHash(%d): %v", cp.size, err)
		}
		if want != cp.root {
			fail("%s: root differs from tlog's", name)
		}
		kept++
	}

	// Every full tile and the partial tiles of the latest size.
	tiles := 0
	for level := 0; latest.size>>(8*level) > 0; level++ {
		at := latest.size >> (8 * level)
		for n := int64(0); n*256 < at; n++ {
			w := at - n*256
			if w > 256 {
				w = 256
			}
			t := tlog.Tile{H: 8, L: level, N: n, W: int(w)}
			want, err := tlog.ReadTileData(t, stored)
			if err != nil {
				fail("ReadTileData(%v): %v", t, err)
			}
			got, err := os.ReadFile(filepath.Join(dir, tilePath(t)))
			if err != nil {
				fail("%v", err)
			}
			if !bytes.Equal(got, want) {
				fail("%s differs from tlog's tile", tilePath(t))
			}
			tiles++
		}
	}

	// Our private key, read by note.NewSigner, signs the same bytes.
	var config struct {
		PrivateKeyFile string `json:"private_key_file"`
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "ledger.json"))
	if err := json.Unmarshal(cfg, &config); err != nil {
		fail("ledger.json: %v", err)
	}
	signer, err := note.NewSigner(readKeyLine(config.PrivateKeyFile, true))
	if err != nil {
		fail("note.NewSigner: %v", err)
	}
	n, _ := note.Open(latestMsg, verifiers)
	resigned, err := note.Sign(&note.Note{Text: n.Text}, signer)
	if err != nil {
		fail("note.Sign: %v", err)
	}
	if !bytes.Equal(resigned, latestMsg) {
		fail("note.Sign gives\n%s\nthe ledger wrote\n%s", resigned, latestMsg)
	}

	// Our proofs.
	proofs := 0
	files, _ := filepath.Glob(filepath.Join(proofDir, "*.json"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var p proofJSON
		if err := json.Unmarshal(b, &p); err != nil {
			fail("%s: %v", f, err)
		}
		switch p.Type {
		case "inclusion":
			th, err := tlog.TreeHash(p.Size, stored)
			if err != nil {
				fail("%v", err)
			}
			leaf, err := tlog.ParseHash(p.Leaf)
			if err != nil {
				fail("%v", err)
			}
			if leaf != tlog.RecordHash(entries[p.Index]) {
				fail("%s: the leaf is not entry %d's record hash", f, p.Index)
			}
			if err := tlog.CheckRecord(hashes(p.Proof), p.Size, th, p.Index, leaf); err != nil {
				fail("%s: tlog.CheckRecord: %v", f, err)
			}
		case "consistency":
			t1, err1 := tlog.TreeHash(p.Size1, stored)
			t2, err2 := tlog.TreeHash(p.Size2, stored)
			if err1 != nil || err2 != nil {
				fail("%s: TreeHash", f)
			}
			if err := tlog.CheckTree(hashes(p.Proof), p.Size2, t2, p.Size1, t1); err != nil {
				fail("%s: tlog.CheckTree: %v", f, err)
			}
		default:
			fail("%s: unknown proof type %q", f, p.Type)
		}
		proofs++
	}
	if proofs == 0 {
		fail("no proofs in %s", proofDir)
	}
	fmt.Printf("ok: %d entries, root, %d kept checkpoints, %d tiles, the signature and %d proofs agree with sumdb/tlog and sumdb/note\n",
		latest.size, kept, tiles, proofs)
}

func sha256Empty() [32]byte {
	// tlog.TreeHash(0) is the hash of nothing.
	h, _ := tlog.TreeHash(0, memHashes{})
	return h
}

func writeJSON(path string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		fail("%v", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		fail("%v", err)
	}
}

func b64(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// make writes a Go-made log: key.pub, checkpoint-<size> notes, entry-<i>.bin,
// inclusion-<i>.json (for the latest size) and consistency.json.
func makeLog(out string) {
	const name = "go.example/test-log"
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		fail("GenerateKey: %v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail("%v", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		fail("%v", err)
	}
	os.WriteFile(filepath.Join(out, "key.pub"), []byte(vkey+"\n"), 0o644)
	var stored memHashes
	const total = 1000
	const small = 389
	sign := func(size int64) {
		th, err := tlog.TreeHash(size, stored)
		if err != nil {
			fail("%v", err)
		}
		text := fmt.Sprintf("%s\n%d\n%s\n", name, size, base64.StdEncoding.EncodeToString(th[:]))
		msg, err := note.Sign(&note.Note{Text: text}, signer)
		if err != nil {
			fail("%v", err)
		}
		os.WriteFile(filepath.Join(out, fmt.Sprintf("checkpoint-%d", size)), msg, 0o644)
	}
	for i := int64(0); i < total; i++ {
		data := []byte(fmt.Sprintf("go record %d", i))
		hs, err := tlog.StoredHashes(i, data, stored)
		if err != nil {
			fail("%v", err)
		}
		stored = append(stored, hs...)
		if i+1 == small {
			sign(small)
		}
		if i%97 == 0 {
			os.WriteFile(filepath.Join(out, fmt.Sprintf("entry-%d.bin", i)), data, 0o644)
		}
	}
	sign(total)
	for i := int64(0); i < total; i += 97 {
		p, err := tlog.ProveRecord(total, i, stored)
		if err != nil {
			fail("%v", err)
		}
		h := tlog.RecordHash([]byte(fmt.Sprintf("go record %d", i)))
		writeJSON(filepath.Join(out, fmt.Sprintf("inclusion-%d.json", i)), map[string]any{
			"type": "inclusion", "index": i, "size": total,
			"leaf": base64.StdEncoding.EncodeToString(h[:]), "proof": b64(p),
		})
	}
	p, err := tlog.ProveTree(total, small, stored)
	if err != nil {
		fail("%v", err)
	}
	writeJSON(filepath.Join(out, "consistency.json"), map[string]any{
		"type": "consistency", "size1": small, "size2": total, "proof": b64(p),
	})
	fmt.Printf("ok: wrote a %d-entry log by sumdb/tlog and sumdb/note to %s\n", total, out)
}

func main() {
	if len(os.Args) == 5 && os.Args[1] == "verify" {
		verify(os.Args[2], os.Args[3], os.Args[4])
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "make" {
		makeLog(os.Args[2])
		return
	}
	fmt.Fprintln(os.Stderr, "usage: ledgercheck verify <ledger dir> <public key file> <proof dir> | ledgercheck make <out dir>")
	os.Exit(2)
}
