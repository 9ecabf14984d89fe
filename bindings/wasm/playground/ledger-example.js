// A ledger proof to check offline: a six-entry ledger made by
// tests/npm/make-ledger-example.js (with the Node package's Ledger), its
// signed checkpoints (after four and six entries) and public key, entry 3 as
// proto3 JSON, its inclusion proof and the consistency proof from four to six
// entries. Used by the playground and by tests/npm/proof.test.js.

export const LEDGER_EXAMPLE = {
  "publicKey": "example.com/audit+430d935f+AV1EakY0Uh2l3mYie0hhK5T+Iv+WwhaVkvKtOG7gmq4s",
  "checkpoint": "example.com/audit\n6\n9YiPNKYx/7QJIiUcBfESCUTt/SPuTASkGU9kntxv5MQ=\n\n— example.com/audit Qw2TXwEdeyyH6rGFZjahvzKg2/BBIylCQZxaVv2SNp0raXYKOgN1tv96cZkohoddKSywEgipUDZRJRfXn0T/nVcCeg0=\n",
  "olderCheckpoint": "example.com/audit\n4\nh75xNC/Xbfesoidsc9pSuT4Ccmao4o19nBBzYhAGy9Y=\n\n— example.com/audit Qw2TX4I56u1gefYPgSG4/kun6kkTtGLb8enKQcJ3E6exYKpTOHevg2NuPsrTT4LSV6l2w6WQPgoB53F2eBhUNW2Q2AM=\n",
  "entry": {
    "eventType": "EVENT_LOGIN",
    "outcome": "OUTCOME_SUCCESS",
    "severity": "SEVERITY_INFO",
    "actorId": "alice@example.com",
    "component": "auth",
    "resource": "apps/crm/3",
    "time": "2026-03-01T09:33:00Z",
    "eventId": "0195f0a2-7c3b-7d4e-8f00-1234567890a3"
  },
  "entryIndex": 3,
  "inclusionProof": "{\"type\":\"inclusion\",\"index\":3,\"size\":6,\"leaf\":\"E1x53WoGM6FUPa6WgPvMd6jWsz57Zj5u0islAp3EzT0=\",\"entry\":\"CAEQARgCIhFhbGljZUBleGFtcGxlLmNvbSoEYXV0aDoKYXBwcy9jcm0vM2IGCMyPkM0GaiQwMTk1ZjBhMi03YzNiLTdkNGUtOGYwMC0xMjM0NTY3ODkwYTM=\",\"proof\":[\"LbBF/wn5vc+KrDKJAaVC6k62XWbe7To8CdpKCcW2k/I=\",\"a/yFg4CmGrtT4YBOYdflRAZ79EyrXQxkXSXz6rj+h3k=\",\"KLUb6jbKuLtrzC5ENh/zmTOzzkU+XLHCukUTS0E2OZM=\"]}",
  "consistencyProof": "{\"type\":\"consistency\",\"size1\":4,\"size2\":6,\"proof\":[\"KLUb6jbKuLtrzC5ENh/zmTOzzkU+XLHCukUTS0E2OZM=\"]}"
};
