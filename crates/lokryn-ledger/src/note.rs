//! C2SP `signed-note` with Ed25519 keys (<https://c2sp.org/signed-note>),
//! in the same text forms as Go's `golang.org/x/mod/sumdb/note`.
//!
//! * A note is UTF-8 text ending in a newline, then a blank line, then one
//!   or more lines `— <name> <base64(key ID || signature)>`.
//! * The key ID is the first four bytes of `SHA-256(name || 0x0A || 0x01 || public key)`.
//! * A verifier key reads `<name>+<key ID as 8 hex digits>+<base64(0x01 || public key)>`;
//!   a signer key `PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || seed)>`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// The algorithm byte of Ed25519 keys.
const ALG_ED25519: u8 = 1;
/// Starts every signature line.
const SIG_PREFIX: &str = "\u{2014} ";

/// A malformed key or note, or a signature that does not check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteError {
    /// A stable code: `BAD_KEY`, `BAD_NOTE`, `BAD_SIGNATURE`, `UNVERIFIED`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

impl NoteError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for NoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for NoteError {}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(NoteError::new(
            "BAD_KEY",
            format!("key name {name:?} must be non-empty, without spaces or '+'"),
        ));
    }
    Ok(())
}

/// The key ID of an Ed25519 public key under `name`.
pub fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public);
    let d: [u8; 32] = h.finalize().into();
    let [a, b, c, e, ..] = d;
    u32::from_be_bytes([a, b, c, e])
}

/// Splits `a+b+c` text keys, checking the name, ID and algorithm byte.
fn parse_key_parts(name: &str, id_hex: &str, data: &str) -> Result<(u32, [u8; 32]), NoteError> {
    check_name(name)?;
    let bad = |m: &str| NoteError::new("BAD_KEY", m.to_string());
    if id_hex.len() != 8 {
        return Err(bad("the key ID must be 8 hex digits"));
    }
    let id = u32::from_str_radix(id_hex, 16).map_err(|_| bad("the key ID is not hex"))?;
    let raw = B64
        .decode(data.trim())
        .map_err(|_| bad("the key data is not base64"))?;
    match raw.split_first() {
        Some((&ALG_ED25519, rest)) => {
            let key: [u8; 32] = rest
                .try_into()
                .map_err(|_| bad("an Ed25519 key has 32 bytes"))?;
            Ok((id, key))
        }
        _ => Err(bad("only Ed25519 keys (algorithm 1) are supported")),
    }
}

/// A public key that checks signatures: `<name>+<id>+<data>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl Verifier {
    /// Parses the text form.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let text = text.trim();
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::new(
                "BAD_KEY",
                "a verifier key reads <name>+<id>+<base64 key>",
            ));
        };
        let (id, raw) = parse_key_parts(name, id, data)?;
        if key_id(name, &raw) != id {
            return Err(NoteError::new(
                "BAD_KEY",
                "the key ID does not match the name and key",
            ));
        }
        let key = VerifyingKey::from_bytes(&raw)
            .map_err(|_| NoteError::new("BAD_KEY", "not a valid Ed25519 public key"))?;
        Ok(Self {
            name: name.into(),
            id,
            key,
        })
    }

    /// The key's name (a checkpoint's origin, usually).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The text form.
    pub fn to_text(&self) -> String {
        let mut data = vec![ALG_ED25519];
        data.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, B64.encode(data))
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        Signature::from_slice(sig)
            .map(|s| self.key.verify(msg, &s).is_ok())
            .unwrap_or(false)
    }
}

/// A private key that signs notes: `PRIVATE+KEY+<name>+<id>+<data>`.
pub struct Signer {
    name: String,
    id: u32,
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .field("id", &format_args!("{:08x}", self.id))
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(Self {
            name: name.into(),
            id,
            key,
        })
    }

    /// Parses the text form.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let text = text.trim();
        let rest = text.strip_prefix("PRIVATE+KEY+").ok_or_else(|| {
            NoteError::new(
                "BAD_KEY",
                "a private key reads PRIVATE+KEY+<name>+<id>+<base64 key>",
            )
        })?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::new(
                "BAD_KEY",
                "a private key reads PRIVATE+KEY+<name>+<id>+<base64 key>",
            ));
        };
        let (id, seed) = parse_key_parts(name, id, data)?;
        let signer = Self::from_seed(name, seed)?;
        if signer.id != id {
            return Err(NoteError::new(
                "BAD_KEY",
                "the key ID does not match the name and key",
            ));
        }
        Ok(signer)
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text form of the private key.
    pub fn to_text(&self) -> String {
        let mut data = vec![ALG_ED25519];
        data.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(data)
        )
    }

    /// The matching public key.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs `body` (which must end in a newline) into a signed note.
    pub fn sign(&self, body: &str) -> Result<String, NoteError> {
        check_body(body)?;
        let sig = self.key.sign(body.as_bytes());
        let mut blob = self.id.to_be_bytes().to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{body}\n{SIG_PREFIX}{} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

fn check_body(body: &str) -> Result<(), NoteError> {
    if !body.ends_with('\n') {
        return Err(NoteError::new(
            "BAD_NOTE",
            "the note text must end in a newline",
        ));
    }
    if body
        .chars()
        .any(|c| (c.is_ascii_control() && c != '\n') || c == '\u{FEFF}')
    {
        return Err(NoteError::new(
            "BAD_NOTE",
            "the note text may not hold control characters other than newline",
        ));
    }
    Ok(())
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's name.
    pub name: String,
    /// The key ID.
    pub key_id: u32,
    /// The signature bytes (after the key ID).
    pub signature: Vec<u8>,
}

/// A note split into its text and signatures, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, with its final newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

/// Splits a signed note into text and signatures.
pub fn parse(note: &str) -> Result<Note, NoteError> {
    let bad = |m: &str| NoteError::new("BAD_NOTE", m.to_string());
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| bad("no blank line before the signatures"))?;
    let (text, sigs) = note.split_at(split + 1);
    let sigs = sigs
        .strip_prefix('\n')
        .ok_or_else(|| bad("no blank line before the signatures"))?;
    check_body(text)?;
    if !sigs.ends_with('\n') {
        return Err(bad("the signature block must end in a newline"));
    }
    let mut signatures = Vec::new();
    for line in sigs.lines() {
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or_else(|| bad("a signature line must start with an em dash and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| bad("a signature line reads — <name> <base64>"))?;
        check_name(name).map_err(|e| bad(&e.message))?;
        let blob = B64
            .decode(b64)
            .map_err(|_| bad("a signature is not base64"))?;
        if blob.len() < 5 {
            return Err(bad("a signature is too short"));
        }
        let (id, sig) = blob.split_at(4);
        let key_id =
            u32::from_be_bytes(id.try_into().map_err(|_| bad("a signature is too short"))?);
        signatures.push(NoteSignature {
            name: name.into(),
            key_id,
            signature: sig.to_vec(),
        });
    }
    if signatures.is_empty() {
        return Err(bad("the note has no signatures"));
    }
    Ok(Note {
        text: text.to_string(),
        signatures,
    })
}

/// Opens a signed note: checks every signature made by one of `verifiers`
/// (a known key whose signature fails is an error) and requires at least
/// one. Returns the text.
pub fn open(note: &str, verifiers: &[Verifier]) -> Result<String, NoteError> {
    let parsed = parse(note)?;
    let mut verified = 0usize;
    for sig in &parsed.signatures {
        if let Some(v) = verifiers
            .iter()
            .find(|v| v.name == sig.name && v.id == sig.key_id)
        {
            if !v.verify(parsed.text.as_bytes(), &sig.signature) {
                return Err(NoteError::new(
                    "BAD_SIGNATURE",
                    format!("the signature of {} does not check", sig.name),
                ));
            }
            verified += 1;
        }
    }
    if verified == 0 {
        return Err(NoteError::new(
            "UNVERIFIED",
            "no signature by a known key (a different key signed this note)",
        ));
    }
    Ok(parsed.text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sign_open_and_reject_other_keys() {
        let s = Signer::from_seed("example.com/log", [7; 32]).unwrap();
        let v = Verifier::parse(&s.verifier().to_text()).unwrap();
        assert_eq!(Signer::parse(&s.to_text()).unwrap().to_text(), s.to_text());
        let note = s.sign("hello\n").unwrap();
        assert_eq!(
            open(&note, std::slice::from_ref(&v)).unwrap(),
            "hello\n".to_string()
        );
        let other = Signer::from_seed("example.com/log", [8; 32]).unwrap();
        let forged = other.sign("hello\n").unwrap();
        assert_eq!(
            open(&forged, std::slice::from_ref(&v)).unwrap_err().code,
            "UNVERIFIED"
        );
        let edited = note.replace("hello", "hellp");
        assert_eq!(open(&edited, &[v]).unwrap_err().code, "BAD_SIGNATURE");
    }
}
