//! The WebAssembly binding of lokryn-compliance-log (npm
//! `@lokryn/compliance-log-wasm`), for browsers, bundlers and Node.
//!
//! Every exported function converts its arguments' handles and delegates to
//! `lokryn_compliance_log_js::api`, which the Node binding shares; this file
//! only implements [`Host`] over wasm-bindgen. The package's JavaScript
//! (`setup.js`) calls [`init`] once with the factories of `runtime.js`, through
//! which the objects returned here and the errors thrown are built.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Function, Uint8Array};
use lokryn_compliance_log_js::tape::{Tape, TapeError, TapeWriter, Taped, Tv};
use lokryn_compliance_log_js::{Factory, Failure, Host, JsType, Key, Message, api};
use wasm_bindgen::prelude::*;

// Small helpers on the JavaScript side: each is one call across the
// boundary where js-sys would need several.
#[wasm_bindgen(inline_js = r#"
export function kindOf(v) {
  switch (typeof v) {
    case "undefined": return 0;
    case "object": return v === null ? 1 : 7;
    case "boolean": return 2;
    case "number": return 3;
    case "bigint": return 4;
    case "string": return 5;
    case "symbol": return 6;
    default: return 8;
  }
}
export function getProperty(o, k) { return o[k]; }
export function isUint8Array(v) { return v instanceof Uint8Array; }
export function arrayItems(v) { return Array.isArray(v) ? v : undefined; }
export function dateMillis(v) { return v instanceof Date ? v.getTime() : undefined; }
export function ownKeys(o) { return Object.keys(o); }
export function toArray(items) { return items; }
export function callFactory(f, args) { return f.apply(undefined, args); }
export function bigintToI64(v) { return BigInt.asIntN(64, v) === v ? v : undefined; }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = kindOf)]
    fn kind_of(v: &JsValue) -> u32;
    #[wasm_bindgen(js_name = getProperty, catch)]
    fn get_property(o: &JsValue, k: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = isUint8Array)]
    fn is_uint8_array(v: &JsValue) -> bool;
    #[wasm_bindgen(js_name = arrayItems)]
    fn array_items(v: &JsValue) -> Option<Vec<JsValue>>;
    #[wasm_bindgen(js_name = dateMillis)]
    fn date_millis(v: &JsValue) -> Option<f64>;
    #[wasm_bindgen(js_name = ownKeys, catch)]
    fn own_keys(o: &JsValue) -> Result<Vec<String>, JsValue>;
    #[wasm_bindgen(js_name = toArray)]
    fn to_array(items: Vec<JsValue>) -> JsValue;
    #[wasm_bindgen(js_name = callFactory, catch)]
    fn call_factory(f: &Function, args: Vec<JsValue>) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = bigintToI64)]
    fn bigint_to_i64(v: &JsValue) -> Option<i64>;
}

/// The JavaScript factories (one wasm instance is one thread).
struct Factories {
    messages: Vec<Function>,
    error: Function,
    violation: Function,
    report: Function,
    finding: Function,
    redaction: Function,
    proof_check: Function,
}

thread_local! {
    static FACTORIES: RefCell<Option<Factories>> = const { RefCell::new(None) };
    /// The property names read from live objects (options; entries come on
    /// tapes), made into JavaScript strings once.
    static KEYS: RefCell<HashMap<&'static str, JsValue>> = RefCell::new(HashMap::new());
}

/// Registers the factories of `runtime.js`. Called once by `setup.js`.
#[wasm_bindgen]
pub fn init(factories: &JsValue) -> Result<(), JsValue> {
    let function = |name: &str| -> Result<Function, JsValue> {
        get_property(factories, &JsValue::from_str(name))?
            .dyn_into::<Function>()
            .map_err(|_| JsValue::from_str(&format!("factories.{name} is not a function")))
    };
    let list = |name: &str| -> Result<Vec<Function>, JsValue> {
        array_items(&get_property(factories, &JsValue::from_str(name))?)
            .ok_or_else(|| JsValue::from_str(&format!("factories.{name} is not an array")))?
            .into_iter()
            .map(|f| f.dyn_into::<Function>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| JsValue::from_str(&format!("factories.{name} holds a non-function")))
    };
    let messages = list("messages")?;
    if messages.len() != Message::ALL.len() {
        return Err(JsValue::from_str(
            "runtime.js does not match the wasm module: reinstall the package",
        ));
    }
    let factories = Factories {
        messages,
        error: function("error")?,
        violation: function("violation")?,
        report: function("report")?,
        finding: function("finding")?,
        redaction: function("redaction")?,
        proof_check: function("proofCheck")?,
    };
    FACTORIES.with(|f| *f.borrow_mut() = Some(factories));
    Ok(())
}

/// [`Host`] over wasm-bindgen.
struct Wasm;

impl Host for Wasm {
    type Value = JsValue;
    type Error = JsValue;

    fn type_of(&self, value: &JsValue) -> Result<JsType, JsValue> {
        Ok(match kind_of(value) {
            0 => JsType::Undefined,
            1 => JsType::Null,
            2 => JsType::Boolean,
            3 => JsType::Number,
            4 => JsType::BigInt,
            5 => JsType::String,
            6 => JsType::Symbol,
            7 => JsType::Object,
            _ => JsType::Function,
        })
    }

    fn get(&self, object: &JsValue, key: Key) -> Result<JsValue, JsValue> {
        KEYS.with(|keys| {
            let mut keys = keys.borrow_mut();
            let key = keys
                .entry(key.name)
                .or_insert_with(|| JsValue::from_str(key.name));
            get_property(object, key)
        })
    }

    fn as_string(&self, value: &JsValue) -> Result<Option<String>, JsValue> {
        Ok(value.as_string())
    }

    fn as_number(&self, value: &JsValue) -> Result<Option<f64>, JsValue> {
        Ok(value.as_f64())
    }

    fn string(&self, value: &JsValue) -> Result<String, JsValue> {
        Ok(value.as_string().unwrap_or_default())
    }

    fn boolean(&self, value: &JsValue) -> Result<bool, JsValue> {
        Ok(value.as_bool().unwrap_or_default())
    }

    fn own_keys(&self, object: &JsValue) -> Result<Vec<String>, JsValue> {
        own_keys(object)
    }

    fn number(&self, value: &JsValue) -> Result<f64, JsValue> {
        Ok(value.as_f64().unwrap_or(f64::NAN))
    }

    fn bigint(&self, value: &JsValue) -> Result<Option<i64>, JsValue> {
        Ok(bigint_to_i64(value))
    }

    fn is_bytes(&self, value: &JsValue) -> Result<bool, JsValue> {
        Ok(is_uint8_array(value))
    }

    fn bytes(&self, value: &JsValue) -> Result<Option<Vec<u8>>, JsValue> {
        Ok(is_uint8_array(value).then(|| value.unchecked_ref::<Uint8Array>().to_vec()))
    }

    fn array(&self, value: &JsValue) -> Result<Option<Vec<JsValue>>, JsValue> {
        Ok(array_items(value))
    }

    fn date_millis(&self, value: &JsValue) -> Result<Option<f64>, JsValue> {
        Ok(date_millis(value))
    }

    fn undefined(&self) -> Result<JsValue, JsValue> {
        Ok(JsValue::UNDEFINED)
    }

    fn new_boolean(&self, value: bool) -> Result<JsValue, JsValue> {
        Ok(JsValue::from_bool(value))
    }

    fn new_string(&self, value: &str) -> Result<JsValue, JsValue> {
        Ok(JsValue::from_str(value))
    }

    fn new_number(&self, value: f64) -> Result<JsValue, JsValue> {
        Ok(JsValue::from_f64(value))
    }

    fn new_bigint(&self, value: i64) -> Result<JsValue, JsValue> {
        Ok(JsValue::from(value))
    }

    fn new_bytes(&self, value: &[u8]) -> Result<JsValue, JsValue> {
        Ok(Uint8Array::from(value).into())
    }

    fn new_array(&self, items: Vec<JsValue>) -> Result<JsValue, JsValue> {
        Ok(to_array(items))
    }

    fn build(&self, factory: Factory, args: Vec<JsValue>) -> Result<JsValue, JsValue> {
        FACTORIES.with(|f| {
            let f = f.borrow();
            let f = f.as_ref().ok_or_else(|| {
                JsValue::from_str("@lokryn/compliance-log-wasm: init() was not called")
            })?;
            let function = match factory {
                Factory::Message(m) => f
                    .messages
                    .get(m.index())
                    .ok_or_else(|| JsValue::from_str("no factory for a message"))?,
                Factory::Violation => &f.violation,
                Factory::Report => &f.report,
                Factory::Finding => &f.finding,
                Factory::Redaction => &f.redaction,
                Factory::Error => &f.error,
                Factory::ProofCheck => &f.proof_check,
            };
            call_factory(function, args)
        })
    }
}

// Every function below runs over one host, [`Taped`]: entries cross on
// tapes (see `lokryn_compliance_log_js::tape`), which `tape.js` writes from
// an entry argument, whatever it is, and replays when an entry is
// returned, so that a value crosses the module's boundary once per call
// instead of once per field; other arguments are live values. The tape host
// answers as the live values would, so results and errors are those of the
// Node package, which reads live values. (One host also keeps one copy of
// the generic conversions in the module.)

type H<'t> = Taped<'t, 'static, Wasm>;

static WASM: Wasm = Wasm;

fn tape_error(e: &TapeError) -> JsValue {
    JsValue::from_str(&format!("@lokryn/compliance-log-wasm: {e}"))
}

/// Runs `f` over the value of an input tape (empty when the call has no
/// entry argument) and live values; throws its failure.
fn run<T>(
    tape: &[u8],
    f: impl FnOnce(&H<'_>, Tv<JsValue>) -> Result<T, Failure<JsValue>>,
) -> Result<T, JsValue> {
    let tape = if tape.is_empty() {
        Tape::empty()
    } else {
        Tape::parse(tape).map_err(|e| tape_error(&e))?
    };
    let h = Taped::new(&WASM, &tape, tape_error);
    f(&h, h.root()).or_else(|failure| {
        let error = failure.into_js(&h)?;
        Err(h.into_host(error)?)
    })
}

/// [`run`] for a function that returns a live value.
fn run_js(
    tape: &[u8],
    f: impl FnOnce(&H<'_>, Tv<JsValue>) -> Result<Tv<JsValue>, Failure<JsValue>>,
) -> Result<JsValue, JsValue> {
    run(tape, |h, root| {
        f(h, root).and_then(|v| h.into_host(v).map_err(Failure::Host))
    })
}

thread_local! {
    /// The buffers of the last output tape, reused by the next.
    static TAPE_BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// An output tape of what `write` builds, returned as its address in the
/// module's memory, where `tape.js` reads it before anything else runs in
/// the module (the buffer stays until the next tape is written into it).
fn tape_of(
    write: impl FnOnce(&TapeWriter) -> Result<(), Failure<JsValue>>,
) -> Result<u32, Failure<JsValue>> {
    let (ops, strings) = TAPE_BUFFERS.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let w = TapeWriter::with_buffers(ops, strings);
    write(&w)?;
    let (tape, strings) = w.finish().map_err(written)?;
    let address = u32::try_from(tape.as_ptr() as usize)
        .map_err(|_| Failure::Host(JsValue::from_str("a tape above 4 GiB")))?;
    TAPE_BUFFERS.with(|b| *b.borrow_mut() = (tape, strings));
    Ok(address)
}

/// A failure to write an output tape (which cannot happen below 4 GiB).
#[allow(clippy::needless_pass_by_value)] // The shape `map_err` wants.
fn written(e: TapeError) -> Failure<JsValue> {
    Failure::Host(tape_error(&e))
}

fn live(v: JsValue) -> Tv<JsValue> {
    Tv::Host(v)
}

/// `encode(entry, options?)`, the entry on a tape.
#[wasm_bindgen(js_name = encodeTape)]
pub fn encode_tape(entry: &[u8], options: JsValue) -> Result<JsValue, JsValue> {
    run_js(entry, |h, v| api::encode(h, &v, &live(options)))
}

/// `encodeDelimited(entries, options?)`, the entries on a tape.
#[wasm_bindgen(js_name = encodeDelimitedTape)]
pub fn encode_delimited_tape(entries: &[u8], options: JsValue) -> Result<JsValue, JsValue> {
    run_js(entries, |h, v| api::encode_delimited(h, &v, &live(options)))
}

/// `toJsonString(entry)`, the entry on a tape.
#[wasm_bindgen(js_name = toJsonStringTape)]
pub fn to_json_string_tape(entry: &[u8]) -> Result<JsValue, JsValue> {
    run_js(entry, |h, v| api::to_json_string(h, &v))
}

/// `validate(entry, options?)`, the entry on a tape.
#[wasm_bindgen(js_name = validateTape)]
pub fn validate_tape(entry: &[u8], options: JsValue) -> Result<JsValue, JsValue> {
    run_js(entry, |h, v| api::validate(h, &v, &live(options)))
}

/// `assertValid(entry, options?)`, the entry on a tape.
#[wasm_bindgen(js_name = assertValidTape)]
pub fn assert_valid_tape(entry: &[u8], options: JsValue) -> Result<JsValue, JsValue> {
    run_js(entry, |h, v| api::assert_valid(h, &v, &live(options)))
}

/// `findSensitive(entry)`, the entry on a tape.
#[wasm_bindgen(js_name = findSensitiveTape)]
pub fn find_sensitive_tape(entry: &[u8]) -> Result<JsValue, JsValue> {
    run_js(entry, |h, v| api::find_sensitive(h, &v))
}

/// `redact(entry, options?)`, the entry on a tape and the redaction
/// returned on one.
#[wasm_bindgen(js_name = redactTape)]
pub fn redact_tape(entry: &[u8], options: JsValue) -> Result<u32, JsValue> {
    run(entry, |h, v| {
        let redacted = api::redaction(h, &v, &live(options))?;
        tape_of(|w| api::redaction_to_js(w, &redacted).map_err(written))
    })
}

/// `decode(bytes, options?)` of anything but a `Uint8Array` (`decodeBytes`
/// takes those), which it refuses as the Node package does.
#[wasm_bindgen(js_name = decodeTape)]
pub fn decode_tape(bytes: JsValue, options: JsValue) -> Result<u32, JsValue> {
    run(&[], |h, _| {
        let entry = api::decode_entry(h, &live(bytes), &live(options))?;
        tape_of(|w| w.write(&entry).map_err(written))
    })
}

thread_local! {
    /// The entry `decodeBytes` decodes into, reusing its strings' memory.
    static SCRATCH: RefCell<lokryn_compliance_log::LogEntry> = RefCell::default();
}

/// `decode(bytes, options?)` of a `Uint8Array`, the entry returned on a tape.
#[wasm_bindgen(js_name = decodeBytes)]
pub fn decode_bytes(bytes: &[u8], options: JsValue) -> Result<u32, JsValue> {
    run(&[], |h, _| {
        let limits = api::decode_options(h, &live(options))?;
        SCRATCH.with(|scratch| {
            let mut entry = scratch.borrow_mut();
            lokryn_compliance_log::codec::decode_into(bytes, &limits, &mut entry)?;
            tape_of(|w| w.write(&*entry).map_err(written))
        })
    })
}

/// `decodeDelimited(bytes, options?)`, the Array of entries returned on a tape.
#[wasm_bindgen(js_name = decodeDelimitedTape)]
pub fn decode_delimited_tape(bytes: JsValue, options: JsValue) -> Result<u32, JsValue> {
    run(&[], |h, _| {
        tape_of(|w| {
            let mut count = 0;
            api::decode_delimited_each(h, &live(bytes), &live(options), |entry| {
                count += 1;
                w.write(&entry).map_err(written)
            })?;
            w.array_of_last(count).map_err(written)
        })
    })
}

/// `fromJsonString(text, options?)`, the entry returned on a tape.
#[wasm_bindgen(js_name = fromJsonStringTape)]
pub fn from_json_string_tape(text: JsValue, options: JsValue) -> Result<u32, JsValue> {
    run(&[], |h, _| {
        let entry = api::from_json_entry(h, &live(text), &live(options))?;
        tape_of(|w| w.write(&entry).map_err(written))
    })
}

/// Validates every entry of a length-delimited stream.
#[wasm_bindgen(js_name = validateDelimited)]
pub fn validate_delimited(bytes: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    run_js(&[], |h, _| {
        api::validate_delimited(h, &live(bytes), &live(options))
    })
}

/// The sensitive data in one string.
#[wasm_bindgen(js_name = scanText)]
pub fn scan_text(text: JsValue) -> Result<JsValue, JsValue> {
    run_js(&[], |h, _| api::scan_text(h, &live(text)))
}

/// One string redacted as `redact` redacts a field.
#[wasm_bindgen(js_name = redactText)]
pub fn redact_text(text: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    run_js(&[], |h, _| api::redact_text(h, &live(text), &live(options)))
}

/// Checks a ledger proof offline: `checkProof(proof, checkpoints, key, entry?)`
/// (`entry`, when given, as its bytes: `lib.js` encodes an entry object).
#[wasm_bindgen(js_name = checkProofBytes)]
pub fn check_proof_bytes(
    proof: JsValue,
    checkpoints: JsValue,
    key: JsValue,
    entry: JsValue,
) -> Result<JsValue, JsValue> {
    run_js(&[], |h, _| {
        lokryn_compliance_log_js::ledger::check_proof(
            h,
            &live(proof),
            &live(checkpoints),
            &live(key),
            &live(entry),
        )
    })
}

/// Decodes a length-delimited stream pushed in chunks.
#[wasm_bindgen]
#[derive(Debug)]
pub struct DelimitedDecoder {
    inner: lokryn_compliance_log::stream::DelimitedDecoder,
}

#[wasm_bindgen]
impl DelimitedDecoder {
    /// A decoder; `options.maxEntryBytes` bounds an entry.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<DelimitedDecoder, JsValue> {
        run(&[], |h, _| api::decoder_new(h, &live(options))).map(|inner| Self { inner })
    }

    /// Appends the next bytes of the stream.
    pub fn push(&mut self, chunk: JsValue) -> Result<JsValue, JsValue> {
        let inner = &mut self.inner;
        run_js(&[], |h, _| api::decoder_push(h, inner, &live(chunk)))
    }

    /// The next entry on a tape, or `undefined` until more bytes are pushed.
    #[wasm_bindgen(js_name = readTape)]
    pub fn read_tape(&mut self) -> Result<Option<u32>, JsValue> {
        let inner = &mut self.inner;
        run(&[], |_, _| match api::decoder_next::<H<'_>>(inner)? {
            Some(entry) => tape_of(|w| w.write(&entry).map_err(written)).map(Some),
            None => Ok(None),
        })
    }

    /// Ends the stream; throws when it stopped inside an entry.
    pub fn end(&self) -> Result<JsValue, JsValue> {
        run_js(&[], |h, _| api::decoder_end(h, &self.inner))
    }
}
