// The independent check of the ledger (`cargo xtask test`): Go's own
// RFC 6962 and signed-note code (golang.org/x/mod/sumdb/tlog and sumdb/note)
// reads a ledger written by `complog ledger`, and makes proofs and notes
// that `complog ledger check-proof` must accept.
module lokryn.test/ledger-go

go 1.26.0

require golang.org/x/mod v0.43.0
