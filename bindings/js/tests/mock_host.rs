//! The conversions and the API over a JavaScript-free [`Host`]: objects are
//! Rust values here, so `cargo test` checks what both bindings share (the
//! generated field order, the readers' rules, the error paths and codes)
//! without an engine. The npm suite (tests/npm) checks the same through
//! Node-API, wasm-bindgen and Chromium.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;

use lokryn_compliance_log::{LogEntry, codec};
use lokryn_compliance_log_js::{
    ConvertError, Factory, Failure, FromJs, Host, JsType, Key, Message, ToJs, api,
};

#[derive(Debug, Clone, PartialEq)]
enum V {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Big(i128),
    Str(String),
    Bytes(Vec<u8>),
    Array(Vec<V>),
    Object(Vec<(String, V)>),
    Date(f64),
    /// What a factory built: which one, and its arguments.
    Built(String, Vec<V>),
}

fn obj(fields: &[(&str, V)]) -> V {
    V::Object(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

fn s(text: &str) -> V {
    V::Str(text.to_owned())
}

#[derive(Default)]
struct Mock {
    /// How many factory calls were made (the API must build each object once).
    builds: RefCell<usize>,
}

impl Host for Mock {
    type Value = V;
    type Error = String;

    fn type_of(&self, v: &V) -> Result<JsType, String> {
        Ok(match v {
            V::Undefined => JsType::Undefined,
            V::Null => JsType::Null,
            V::Bool(_) => JsType::Boolean,
            V::Num(_) => JsType::Number,
            V::Big(_) => JsType::BigInt,
            V::Str(_) => JsType::String,
            _ => JsType::Object,
        })
    }

    fn get(&self, object: &V, key: Key) -> Result<V, String> {
        match object {
            V::Object(fields) => Ok(fields
                .iter()
                .find(|(k, _)| k == key.name)
                .map_or(V::Undefined, |(_, v)| v.clone())),
            _ => Ok(V::Undefined),
        }
    }

    fn fields(&self, object: &V, message: Message, keys: &[Key]) -> Result<Vec<V>, String> {
        match object {
            // An object this host built reads back positionally, as the
            // runtime's reader returns the factory's fields.
            V::Built(name, args) if name == message.type_name() => Ok(args.clone()),
            _ => keys.iter().map(|k| self.get(object, *k)).collect(),
        }
    }

    fn string(&self, v: &V) -> Result<String, String> {
        match v {
            V::Str(s) => Ok(s.clone()),
            _ => Err("not a string".into()),
        }
    }

    fn boolean(&self, v: &V) -> Result<bool, String> {
        Ok(matches!(v, V::Bool(true)))
    }

    fn own_keys(&self, object: &V) -> Result<Vec<String>, String> {
        Ok(match object {
            V::Object(fields) => fields.iter().map(|(k, _)| k.clone()).collect(),
            _ => Vec::new(),
        })
    }

    fn number(&self, v: &V) -> Result<f64, String> {
        match v {
            V::Num(n) => Ok(*n),
            _ => Err("not a number".into()),
        }
    }

    fn bigint(&self, v: &V) -> Result<Option<i64>, String> {
        match v {
            V::Big(n) => Ok(i64::try_from(*n).ok()),
            _ => Err("not a bigint".into()),
        }
    }

    fn is_bytes(&self, v: &V) -> Result<bool, String> {
        Ok(matches!(v, V::Bytes(_)))
    }

    fn bytes(&self, v: &V) -> Result<Option<Vec<u8>>, String> {
        Ok(match v {
            V::Bytes(b) => Some(b.clone()),
            _ => None,
        })
    }

    fn array(&self, v: &V) -> Result<Option<Vec<V>>, String> {
        Ok(match v {
            V::Array(items) => Some(items.clone()),
            _ => None,
        })
    }

    fn date_millis(&self, v: &V) -> Result<Option<f64>, String> {
        Ok(match v {
            V::Date(ms) => Some(*ms),
            _ => None,
        })
    }

    fn undefined(&self) -> Result<V, String> {
        Ok(V::Undefined)
    }

    fn new_boolean(&self, b: bool) -> Result<V, String> {
        Ok(V::Bool(b))
    }

    fn new_string(&self, text: &str) -> Result<V, String> {
        Ok(s(text))
    }

    fn new_number(&self, n: f64) -> Result<V, String> {
        Ok(V::Num(n))
    }

    fn new_bigint(&self, n: i64) -> Result<V, String> {
        Ok(V::Big(i128::from(n)))
    }

    fn new_bytes(&self, b: &[u8]) -> Result<V, String> {
        Ok(V::Bytes(b.to_vec()))
    }

    fn new_array(&self, items: Vec<V>) -> Result<V, String> {
        Ok(V::Array(items))
    }

    fn build(&self, factory: Factory, args: Vec<V>) -> Result<V, String> {
        *self.builds.borrow_mut() += 1;
        let name = match factory {
            Factory::Message(m) => m.type_name().to_owned(),
            other => format!("{other:?}"),
        };
        Ok(V::Built(name, args))
    }
}

fn golden_entries() -> Vec<(String, LogEntry)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/wire");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/manifest.json")).unwrap())
            .unwrap();
    manifest["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let bytes = std::fs::read(format!("{dir}/{}", v["binary"].as_str().unwrap())).unwrap();
            (
                v["name"].as_str().unwrap().to_owned(),
                codec::decode(&bytes).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_golden_vector_survives_to_js_and_back() {
    let h = Mock::default();
    let vectors = golden_entries();
    assert!(vectors.len() > 50);
    for (name, entry) in vectors {
        let js = entry.to_js(&h).unwrap();
        let back = LogEntry::from_js(&h, &js).unwrap();
        assert_eq!(back, entry, "{name}");
    }
}

#[test]
fn zero_values_are_left_to_the_factory_and_unset_messages_stay_unset() {
    let h = Mock::default();
    let V::Built(name, args) = LogEntry::default().to_js(&h).unwrap() else {
        panic!("not built");
    };
    assert_eq!(name, "lokryn.compliancelog.v1.LogEntry");
    assert_eq!(args.len(), 31);
    assert!(args.iter().all(|a| *a == V::Undefined));
}

fn convert_error(value: &V) -> (String, String) {
    match LogEntry::from_js(&Mock::default(), value) {
        Err(err @ ConvertError::Invalid { .. }) => (err.path(), err.to_string()),
        other => panic!("expected a conversion error, got {other:?}"),
    }
}

#[test]
fn wrong_types_name_the_path() {
    assert_eq!(
        convert_error(&obj(&[("actorId", V::Num(5.0))])),
        (
            "actorId".into(),
            "actorId: expected a string, got a number".into()
        )
    );
    let chain = V::Array(vec![obj(&[]), obj(&[("actorType", s("ACTOR_TYPE_USER"))])]);
    let (path, message) = convert_error(&obj(&[("delegationChain", chain)]));
    assert_eq!(path, "delegationChain[1].actorType");
    assert!(
        message.contains("expected a value of ActorType (a number), got a string"),
        "{message}"
    );
    let (path, _) = convert_error(&obj(&[("policyTags", V::Array(vec![s("a"), V::Null]))]));
    assert_eq!(path, "policyTags[1]");
    let (path, _) = convert_error(&obj(&[("genai", obj(&[("maxTokens", V::Num(0.5))]))]));
    assert_eq!(path, "genai.maxTokens");
}

#[test]
fn numbers_follow_the_field_types() {
    let h = Mock::default();
    let read = |fields: &[(&str, V)]| LogEntry::from_js(&h, &obj(fields));
    assert_eq!(
        read(&[("durationMs", V::Num(42.0))]).unwrap().duration_ms,
        42
    );
    assert_eq!(read(&[("durationMs", s("-42"))]).unwrap().duration_ms, -42);
    assert_eq!(
        read(&[("durationMs", V::Big(i128::from(i64::MIN)))])
            .unwrap()
            .duration_ms,
        i64::MIN
    );
    assert!(read(&[("durationMs", V::Big(i128::from(i64::MAX) + 1))]).is_err());
    assert!(read(&[("durationMs", V::Num(9_007_199_254_740_992.0))]).is_err());
    assert_eq!(read(&[("eventType", V::Num(99.0))]).unwrap().event_type, 99);
    assert!(read(&[("eventType", V::Num(2_147_483_648.0))]).is_err());
    assert!(read(&[("eventType", V::Num(f64::NAN))]).is_err());
    // A Date before 1970 keeps nanos in 0..1e9.
    let time = read(&[("time", V::Date(-1.0))]).unwrap().time.unwrap();
    assert_eq!((time.seconds, time.nanos), (-1, 999_000_000));
    // null and undefined are unset.
    assert_eq!(
        read(&[
            ("actorId", V::Null),
            ("time", V::Null),
            ("genai", V::Undefined)
        ])
        .unwrap(),
        LogEntry::default()
    );
}

fn thrown(result: Result<V, Failure<String>>) -> (String, String, Vec<(&'static str, String)>) {
    match result {
        Err(Failure::Throw(info, _)) => (
            info.code.to_owned(),
            info.message,
            info.details
                .into_iter()
                .map(|(k, v)| (k, format!("{v:?}")))
                .collect(),
        ),
        other => panic!("expected an error to throw, got {other:?}"),
    }
}

#[test]
fn the_api_throws_coded_errors() {
    let h = Mock::default();
    let (code, message, details) = thrown(api::encode_delimited(
        &h,
        &V::Array(vec![obj(&[]), obj(&[("actorId", V::Bool(true))])]),
        &V::Undefined,
    ));
    assert_eq!(code, "TYPE");
    assert_eq!(
        message,
        "entries[1].actorId: expected a string, got a boolean"
    );
    assert!(
        details
            .iter()
            .any(|(k, v)| *k == "index" && v.contains('1')),
        "{details:?}"
    );

    let (code, _, _) = thrown(api::encode(&h, &V::Bytes(vec![1]), &V::Undefined));
    assert_eq!(code, "TYPE");
    let (code, _, _) = thrown(api::decode(&h, &V::Bytes(vec![0xff]), &V::Undefined));
    assert_eq!(code, "DECODE");
    let (code, message, _) = thrown(api::validate(
        &h,
        &obj(&[]),
        &obj(&[("profiles", s("hipaa"))]),
    ));
    assert_eq!(code, "TYPE");
    assert!(
        message.starts_with("options: unknown option `profiles` (known: "),
        "{message}"
    );
    let (code, message, _) = thrown(api::validate(
        &h,
        &obj(&[]),
        &obj(&[("profile", s("hipaa,sox"))]),
    ));
    assert_eq!(code, "UNKNOWN_PROFILE", "{message}");
    assert!(message.contains("`sox`"), "{message}");
    let (code, _, details) = thrown(api::decode(
        &h,
        &V::Bytes(codec::encode(&LogEntry {
            actor_id: "x".repeat(100),
            ..Default::default()
        })),
        &obj(&[("maxEntryBytes", V::Num(10.0))]),
    ));
    assert_eq!(code, "TOO_LARGE");
    assert!(details.iter().any(|(k, _)| *k == "limit"));
    match api::assert_valid(&h, &obj(&[]), &V::Undefined) {
        Err(Failure::Throw(info, Some(report))) => {
            assert_eq!(info.code, "INVALID");
            assert!(!report.is_valid());
        }
        other => panic!("expected INVALID, got {other:?}"),
    }
}

#[test]
fn the_api_builds_each_object_once() {
    let h = Mock::default();
    let entry = LogEntry {
        actor_id: "a".into(),
        time: Some(prost_types::Timestamp {
            seconds: 1,
            nanos: 0,
        }),
        ..Default::default()
    };
    let bytes = V::Bytes(codec::encode(&entry));
    let decoded = api::decode(&h, &bytes, &V::Undefined).unwrap();
    // The entry and its timestamp.
    assert_eq!(*h.builds.borrow(), 2);
    let V::Bytes(again) = api::encode(&h, &decoded, &V::Undefined).unwrap() else {
        panic!("not bytes");
    };
    assert_eq!(codec::decode(&again).unwrap(), entry);
}
