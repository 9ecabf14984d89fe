//! Every golden vector and good example, exported to OCSF (as JSON text)
//! and imported back, is the record it was: nothing is lost.

#![allow(clippy::unwrap_used, clippy::panic)]

use lokryn_export::Options;
use lokryn_export::ocsf::to_ocsf;
use lokryn_export::ocsf_import::from_ocsf;

#[path = "support/records.rs"]
mod records;

use records::records;

#[test]
fn every_record_survives_an_ocsf_round_trip() {
    let records = records();
    assert!(records.len() > 90, "{}", records.len());
    let options = Options {
        observed_time_ns: Some(1_764_547_200_000_000_000),
        log_name: None,
    };
    for (name, entry) in records {
        let text = to_ocsf(&entry, &options).unwrap().to_string();
        let back = from_ocsf(&serde_json::from_str(&text).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(back, entry, "{name}\n{text}");
    }
}
