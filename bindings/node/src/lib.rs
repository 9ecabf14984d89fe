//! The Node.js binding of lokryn-compliance-log (npm `@lokryn/compliance-log`).
//!
//! Every exported function converts its arguments' handles and delegates to
//! `lokryn_compliance_log_js::api`, which the browser binding shares; this
//! file only implements [`Host`] over Node-API. The package's JavaScript
//! (`index.js`) calls [`init`] once with the factories of `runtime.cjs`,
//! through which the objects returned here and the errors thrown are built.

use lokryn_compliance_log_js::{Factory, Failure, Host, JsType, Key, Message, api};
use napi::bindgen_prelude::{
    Array, BigInt, Env, FromNapiValue, Function, FunctionRef, JsObjectValue, JsValue,
    JsValuesTupleIntoVec, Object, Result, ToNapiValue, Uint8ArraySlice, Unknown, ValueType, i64n,
};
use napi::{JsDate, sys};
use napi_derive::napi;

pub mod export;
pub mod ledger;
pub mod logger;
// The addon's only `unsafe` code: a function made through raw Node-API
// (`AuditLogger.tapedLog`).
#[allow(unsafe_code)]
mod raw;

/// Positional arguments of a factory call.
struct Args(Vec<sys::napi_value>);

impl JsValuesTupleIntoVec for Args {
    fn into_vec(self, _env: sys::napi_env) -> Result<Vec<sys::napi_value>> {
        Ok(self.0)
    }
}

type FactoryRef = FunctionRef<Args, Unknown<'static>>;

/// The JavaScript factories, held per Node environment (main thread and
/// each worker load the addon separately).
///
/// (Property names are not kept as JavaScript strings: Node-API before
/// Node 22 cannot reference a string, and looking one up through a
/// referenced array costs more than `napi_get_named_property`.)
struct Factories {
    messages: Vec<FactoryRef>,
    readers: Vec<FactoryRef>,
    error: FactoryRef,
    violation: FactoryRef,
    report: FactoryRef,
    finding: FactoryRef,
    redaction: FactoryRef,
    proof_check: FactoryRef,
}

/// Registers the factories of `runtime.cjs`. Called once by `index.js`.
#[napi]
pub fn init(env: &Env, factories: Object<'_>) -> Result<()> {
    let get = |name: &str| -> Result<FactoryRef> {
        factories
            .get_named_property::<Function<'_, Args, Unknown<'static>>>(name)?
            .create_ref()
    };
    let list = |name: &str| -> Result<Vec<FactoryRef>> {
        let list: Array<'_> = factories.get_named_property(name)?;
        let mut refs = Vec::with_capacity(Message::ALL.len());
        for i in 0..list.len() {
            if let Some(f) = list.get::<Function<'_, Args, Unknown<'static>>>(i)? {
                refs.push(f.create_ref()?);
            }
        }
        Ok(refs)
    };
    let messages = list("messages")?;
    let readers = list("readers")?;
    if messages.len() != Message::ALL.len() || readers.len() != Message::ALL.len() {
        return Err(napi::Error::from_reason(
            "runtime.cjs does not match the native module: reinstall the package",
        ));
    }
    let factories = Factories {
        messages,
        readers,
        error: get("error")?,
        violation: get("violation")?,
        report: get("report")?,
        finding: get("finding")?,
        redaction: get("redaction")?,
        proof_check: get("proofCheck")?,
    };
    env.set_instance_data(factories, (), |_| {})
}

/// [`Host`] over Node-API.
pub(crate) struct Node<'env> {
    env: &'env Env,
    factories: &'env Factories,
}

impl<'env> Node<'env> {
    pub(crate) fn new(env: &'env Env) -> Result<Self> {
        let factories = env.get_instance_data::<Factories>()?.ok_or_else(|| {
            napi::Error::from_reason("@lokryn/compliance-log: init() was not called")
        })?;
        Ok(Self { env, factories })
    }

    /// Returns `result`'s value, or throws its failure.
    pub(crate) fn finish(
        &self,
        result: std::result::Result<Unknown<'env>, Failure<napi::Error>>,
    ) -> Result<Unknown<'env>> {
        self.finish_with(result)
    }

    /// [`Node::finish`] for any value.
    pub(crate) fn finish_with<T>(
        &self,
        result: std::result::Result<T, Failure<napi::Error>>,
    ) -> Result<T> {
        match result {
            Ok(value) => Ok(value),
            Err(failure) => Err(napi::Error::from(failure.into_js(self)?)),
        }
    }
}

impl<'env> Host for Node<'env> {
    type Value = Unknown<'env>;
    type Error = napi::Error;

    fn type_of(&self, value: &Unknown<'env>) -> Result<JsType> {
        Ok(match value.get_type()? {
            ValueType::Undefined => JsType::Undefined,
            ValueType::Null => JsType::Null,
            ValueType::Boolean => JsType::Boolean,
            ValueType::Number => JsType::Number,
            ValueType::BigInt => JsType::BigInt,
            ValueType::String => JsType::String,
            ValueType::Symbol => JsType::Symbol,
            ValueType::Function => JsType::Function,
            _ => JsType::Object,
        })
    }

    fn get(&self, object: &Unknown<'env>, key: Key) -> Result<Unknown<'env>> {
        Object::from_unknown(*object)?.get_c_named_property_unchecked(key.c_name)
    }

    fn fields(
        &self,
        object: &Unknown<'env>,
        message: Message,
        _keys: &[Key],
    ) -> Result<Vec<Unknown<'env>>> {
        let reader = self
            .factories
            .readers
            .get(message.index())
            .ok_or_else(|| napi::Error::from_reason("no reader for a message"))?;
        let values: Unknown<'static> = reader
            .borrow_back(self.env)?
            .call(Args(vec![object.raw()]))?;
        let values = Array::from_unknown(values)?;
        let mut out = Vec::with_capacity(values.len() as usize);
        for i in 0..values.len() {
            out.push(
                values
                    .get::<Unknown<'env>>(i)?
                    .map_or_else(|| self.undefined(), Ok)?,
            );
        }
        Ok(out)
    }

    fn string(&self, value: &Unknown<'env>) -> Result<String> {
        String::from_unknown(*value)
    }

    fn boolean(&self, value: &Unknown<'env>) -> Result<bool> {
        bool::from_unknown(*value)
    }

    fn own_keys(&self, object: &Unknown<'env>) -> Result<Vec<String>> {
        let names = Object::from_unknown(*object)?.get_property_names()?;
        let names = Array::from_unknown(names.to_unknown())?;
        (0..names.len())
            .filter_map(|i| names.get::<String>(i).transpose())
            .collect()
    }

    fn number(&self, value: &Unknown<'env>) -> Result<f64> {
        f64::from_unknown(*value)
    }

    fn bigint(&self, value: &Unknown<'env>) -> Result<Option<i64>> {
        let (n, lossless) = BigInt::from_unknown(*value)?.get_i64();
        Ok(lossless.then_some(n))
    }

    fn is_bytes(&self, value: &Unknown<'env>) -> Result<bool> {
        Ok(value.is_typedarray()? && Uint8ArraySlice::from_unknown(*value).is_ok())
    }

    fn bytes(&self, value: &Unknown<'env>) -> Result<Option<Vec<u8>>> {
        if !value.is_typedarray()? {
            return Ok(None);
        }
        // Another kind of typed array is not bytes.
        Ok(Uint8ArraySlice::from_unknown(*value)
            .ok()
            .map(|s| s.to_vec()))
    }

    fn array(&self, value: &Unknown<'env>) -> Result<Option<Vec<Unknown<'env>>>> {
        if !value.is_array()? {
            return Ok(None);
        }
        let array = Array::from_unknown(*value)?;
        let mut items = Vec::with_capacity(array.len() as usize);
        for i in 0..array.len() {
            match array.get::<Unknown<'env>>(i)? {
                Some(item) => items.push(item),
                None => items.push(self.undefined()?),
            }
        }
        Ok(Some(items))
    }

    fn date_millis(&self, value: &Unknown<'env>) -> Result<Option<f64>> {
        if !value.is_date()? {
            return Ok(None);
        }
        JsDate::from_unknown(*value)?.value_of().map(Some)
    }

    fn undefined(&self) -> Result<Unknown<'env>> {
        ().into_unknown(self.env)
    }

    fn new_boolean(&self, value: bool) -> Result<Unknown<'env>> {
        value.into_unknown(self.env)
    }

    fn new_string(&self, value: &str) -> Result<Unknown<'env>> {
        value.into_unknown(self.env)
    }

    fn new_number(&self, value: f64) -> Result<Unknown<'env>> {
        value.into_unknown(self.env)
    }

    fn new_bigint(&self, value: i64) -> Result<Unknown<'env>> {
        i64n(value).into_unknown(self.env)
    }

    fn new_bytes(&self, value: &[u8]) -> Result<Unknown<'env>> {
        Ok(Uint8ArraySlice::copy_from(self.env, value)?.to_unknown())
    }

    fn new_array(&self, items: Vec<Unknown<'env>>) -> Result<Unknown<'env>> {
        Ok(Array::from_vec(self.env, items)?.to_unknown())
    }

    fn build(&self, factory: Factory, args: Vec<Unknown<'env>>) -> Result<Unknown<'env>> {
        let f = match factory {
            Factory::Message(m) => self
                .factories
                .messages
                .get(m.index())
                .ok_or_else(|| napi::Error::from_reason("no factory for a message"))?,
            Factory::Violation => &self.factories.violation,
            Factory::Report => &self.factories.report,
            Factory::Finding => &self.factories.finding,
            Factory::Redaction => &self.factories.redaction,
            Factory::Error => &self.factories.error,
            Factory::ProofCheck => &self.factories.proof_check,
        };
        let raw = Args(args.iter().map(JsValue::raw).collect());
        let value: Unknown<'static> = f.borrow_back(self.env)?.call(raw)?;
        // Handles live as long as the current call's scope, whatever Rust
        // lifetime the factory's return type was declared with.
        Unknown::from_unknown(value)
    }
}

/// The argument at `v`, `undefined` when it was not passed.
pub(crate) fn arg<'env>(h: &Node<'env>, v: Option<Unknown<'env>>) -> Result<Unknown<'env>> {
    match v {
        Some(v) => Ok(v),
        None => h.undefined(),
    }
}

/// Exports functions of [`api`] under their names: each takes its
/// arguments' handles (`options` may be left out) and throws the failure.
/// `arg via f` passes the argument through `f` first.
macro_rules! export {
    ($($(#[doc = $doc:literal])* fn $name:ident($arg:ident $(via $via:ident)? $(, $options:ident?)?);)*) => {$(
        $(#[doc = $doc])*
        #[napi]
        pub fn $name<'env>(
            env: &'env Env,
            $arg: Unknown<'env>,
            $($options: Option<Unknown<'env>>,)?
        ) -> Result<Unknown<'env>> {
            let h = Node::new(env)?;
            $(let $options = arg(&h, $options)?;)?
            $(let $arg = match $via(&h, $arg) {
                Ok(value) => value,
                Err(failure) => return h.finish(Err(failure)),
            };)?
            h.finish(api::$name(&h, &$arg $(, &$options)?))
        }
    )*};
}

export! {
    /// Encodes an entry to protobuf binary.
    fn encode(entry, options?);
    /// Decodes one entry.
    fn decode(bytes, options?);
    /// Encodes entries as a length-delimited stream.
    fn encode_delimited(entries, options?);
    /// Decodes every entry of a length-delimited stream (gzip- or
    /// zstd-compressed or not).
    fn decode_delimited(bytes via decompressed, options?);
    /// The canonical proto3 JSON text of an entry.
    fn to_json_string(entry);
    /// Reads an entry from proto3 JSON text.
    fn from_json_string(text, options?);
    /// Validates an entry.
    fn validate(entry, options?);
    /// Validates every entry of a length-delimited stream (gzip- or
    /// zstd-compressed or not).
    fn validate_delimited(bytes via decompressed, options?);
    /// Throws a ValidationError when the entry is not valid.
    fn assert_valid(entry, options?);
    /// The sensitive data in every searched field of an entry.
    fn find_sensitive(entry);
    /// The sensitive data in one string.
    fn scan_text(text);
    /// A redacted copy of an entry, and what was replaced.
    fn redact(entry, options?);
    /// One string redacted as `redact` redacts a field.
    fn redact_text(text, options?);
}

/// The most a compressed argument may decompress to: these calls hold the
/// whole stream, and its entries, in memory. Larger logs stream through
/// `node:zlib` into a `DelimitedDecoder`.
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// `bytes` decompressed into a new `Uint8Array` when it starts with gzip's
/// or zstd's magic bytes; anything else (plain bytes, or a wrong type the
/// call reports itself) passes on unchanged.
fn decompressed<'env>(
    h: &Node<'env>,
    bytes: Unknown<'env>,
) -> std::result::Result<Unknown<'env>, Failure<napi::Error>> {
    use lokryn_compliance_log::compress::{Compression, decompress};
    use std::io::Read as _;

    let Ok(slice) = Uint8ArraySlice::from_unknown(bytes) else {
        return Ok(bytes);
    };
    if Compression::sniff(&slice) == Compression::None {
        return Ok(bytes);
    }
    let io = |err: std::io::Error| Failure::from(lokryn_compliance_log::Error::Io(err));
    let (_, reader) = decompress(&slice[..]).map_err(io)?;
    let mut plain = Vec::new();
    reader
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut plain)
        .map_err(io)?;
    if plain.len() as u64 > MAX_DECOMPRESSED {
        return Err(Failure::from(lokryn_compliance_log::Error::TooLarge {
            what: "decompressed input",
            size: plain.len() as u64,
            limit: MAX_DECOMPRESSED,
        }));
    }
    h.new_bytes(&plain).map_err(Failure::Host)
}

/// Decodes a length-delimited stream pushed in chunks.
#[napi(js_name = "DelimitedDecoder")]
#[derive(Debug)]
pub struct DelimitedDecoder {
    inner: lokryn_compliance_log::stream::DelimitedDecoder,
}

#[napi]
impl DelimitedDecoder {
    /// A decoder; `options.maxEntryBytes` bounds an entry.
    #[napi(constructor)]
    pub fn new(env: &Env, options: Option<Unknown<'_>>) -> Result<Self> {
        let h = Node::new(env)?;
        let options = arg(&h, options)?;
        match api::decoder_new(&h, &options) {
            Ok(inner) => Ok(Self { inner }),
            Err(failure) => Err(napi::Error::from(failure.into_js(&h)?)),
        }
    }

    /// Appends the next bytes of the stream.
    #[napi]
    pub fn push<'env>(&mut self, env: &'env Env, chunk: Unknown<'env>) -> Result<Unknown<'env>> {
        let h = Node::new(env)?;
        h.finish(api::decoder_push(&h, &mut self.inner, &chunk))
    }

    /// The next entry, or `undefined` until more bytes are pushed.
    #[napi]
    pub fn read<'env>(&mut self, env: &'env Env) -> Result<Unknown<'env>> {
        let h = Node::new(env)?;
        h.finish(api::decoder_read(&h, &mut self.inner))
    }

    /// Ends the stream; throws when it stopped inside an entry.
    #[napi]
    pub fn end<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        let h = Node::new(env)?;
        h.finish(api::decoder_end(&h, &self.inner))
    }
}
