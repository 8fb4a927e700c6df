//! Who vouches for a result. Everything inside a result file (contributor, host, time) is
//! whatever its writer chose, so it cannot tell two people's runs from one person's two files.
//! A detached SSH signature can: `<id>.json.sig` beside the file, in the format
//! `ssh-keygen -Y sign -n chipbench -f KEY FILE` writes (SSHSIG, namespace `chipbench`), by an
//! Ed25519 key listed in `allowed_signers` at the dataset root (OpenSSH's allowed-signers
//! format: principals, optional `namespaces="..."`, the key). That list changes only by
//! review, so a run is *verified* only when someone the project knows signed those exact
//! bytes; independence between runs means different listed signers, nothing else.
//!
//! The cryptography is the RustCrypto `ssh-key` crate's; this module only decides what a
//! signature means for a file.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey, SshSig, public::KeyData};

use crate::model::read_regular;

/// The SSHSIG namespace of chipbench's signatures: a signature made for git or for a login
/// does not count as one for a result.
const NAMESPACE: &str = "chipbench";
/// The list of signers, at the dataset root.
pub const SIGNERS_FILE: &str = "allowed_signers";
/// A signature file is a few hundred bytes; anything larger is not one.
const MAX_SIGNATURE_BYTES: usize = 16 << 10;

#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("{path} line {line}: {message}")]
    Signers {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("signing key {path}: {message}")]
    Key { path: String, message: String },
    #[error(
        "the files belong to datasets with different signers ({0}): read each dataset on its own"
    )]
    Datasets(String),
}

/// The keys whose signatures verify a run, each with its signer: the first principal of its
/// line (several lines may give one signer several keys; a key is listed once).
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    keys: Vec<(KeyData, String)>,
}

/// What a result's signature says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verification")]
pub enum Verification {
    /// A listed signer signed these bytes.
    Verified { signer: String },
    /// No signature beside the file.
    Unsigned,
    /// A valid signature over these bytes by a key that is not listed.
    UnknownKey { fingerprint: String },
    /// A signature that does not hold: not an SSH signature, another namespace, or made over
    /// other bytes (another file's signature, or the file changed after signing).
    Invalid { reason: String },
}

impl Verification {
    /// The signer of a verified run.
    pub fn signer(&self) -> Option<&str> {
        match self {
            Verification::Verified { signer } => Some(signer),
            _ => None,
        }
    }
}

impl AllowedSigners {
    /// The list at `root/allowed_signers`; none when there is no such file (every run is then
    /// unverified). A list that cannot be read or parsed is an error, never an empty list.
    pub fn load(root: &Path) -> Result<Self, SignatureError> {
        let path = root.join(SIGNERS_FILE);
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(Self::default());
        }
        let shown = path.display().to_string();
        let bytes = read_regular(&path).map_err(|message| SignatureError::Read {
            path: shown.clone(),
            message,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| SignatureError::Read {
            path: shown.clone(),
            message: "not UTF-8 text".into(),
        })?;
        Self::parse(&text, &shown)
    }

    /// Parses the allowed-signers format; `shown` names the file in errors.
    pub fn parse(text: &str, shown: &str) -> Result<Self, SignatureError> {
        let mut keys: Vec<(KeyData, String)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |message: String| SignatureError::Signers {
                path: shown.to_string(),
                line: i + 1,
                message,
            };
            let Some((signer, key)) = entry(line).map_err(error)? else {
                continue;
            };
            if keys.iter().any(|(k, _)| *k == key) {
                return Err(error("this key is listed on an earlier line too".into()));
            }
            keys.push((key, signer));
        }
        Ok(AllowedSigners { keys })
    }

    /// The signer a key belongs to.
    pub fn signer(&self, key: &KeyData) -> Option<&str> {
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s.as_str())
    }
}

/// One line of an allowed-signers file: its signer and key, or `None` for a key restricted to
/// other namespaces.
fn entry(line: &str) -> Result<Option<(String, KeyData)>, String> {
    let fields = split_fields(line);
    let [principals, rest @ ..] = fields.as_slice() else {
        return Err("expected: principals [options] ssh-ed25519 KEY".into());
    };
    let (options, key) = match rest {
        [kind, ..] if kind.starts_with("ssh-") || kind.starts_with("sk-") => ("", rest),
        [options, key @ ..] => (options.as_str(), key),
        [] => return Err("no key after the principals".into()),
    };
    let [kind, base64, ..] = key else {
        return Err("expected a key type and the key after the principals".into());
    };
    if kind != "ssh-ed25519" {
        return Err(format!(
            "{kind} keys are not accepted; use an ssh-ed25519 key"
        ));
    }
    let key = PublicKey::from_openssh(&format!("{kind} {base64}"))
        .map_err(|e| format!("not an OpenSSH public key: {e}"))?;
    let mut for_chipbench = true;
    for option in split_outside_quotes(options, |c| c == ',') {
        match option.split_once('=') {
            Some(("namespaces", list)) => {
                for_chipbench = list.trim_matches('"').split(',').any(|n| n == NAMESPACE);
            }
            _ => return Err(format!("option {option:?} is not supported here")),
        }
    }
    // One spelling per signer: printable ASCII (an address or a name), compared in lower case,
    // so that "Alice", "ALICE" or a Cyrillic "аlice" is never a second, independent signer.
    if !principals.chars().all(|c| c.is_ascii_graphic()) {
        return Err("principals must be printable ASCII (an address or a name)".into());
    }
    let signer = principals
        .split(',')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    Ok(for_chipbench.then(|| (signer, key.key_data().clone())))
}

/// The white-space separated fields of a line, a double-quoted run (with its commas and
/// spaces) kept inside its field.
fn split_fields(line: &str) -> Vec<String> {
    split_outside_quotes(line, char::is_whitespace)
}

/// `text` split where `at` holds outside double quotes, empty pieces dropped.
fn split_outside_quotes(text: &str, at: impl Fn(char) -> bool) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                field.push(c);
            }
            c if at(c) && !quoted => {
                if !field.is_empty() {
                    fields.push(std::mem::take(&mut field));
                }
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() {
        fields.push(field);
    }
    fields
}

/// Where the signature of the result file at `path` is: `<path>.sig`.
pub(crate) fn signature_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// What the armoured signature `signature` says about `bytes`.
pub fn verify_bytes(signers: &AllowedSigners, bytes: &[u8], signature: &[u8]) -> Verification {
    let invalid = |reason: String| Verification::Invalid { reason };
    if signature.len() > MAX_SIGNATURE_BYTES {
        return invalid(format!("over {MAX_SIGNATURE_BYTES} bytes: not a signature"));
    }
    let sig = match SshSig::from_pem(signature) {
        Ok(sig) => sig,
        Err(e) => return invalid(format!("not an SSH signature ({e})")),
    };
    if sig.namespace() != NAMESPACE {
        return invalid(format!(
            "made for namespace {:?}, not {NAMESPACE:?}",
            sig.namespace()
        ));
    }
    let key = PublicKey::from(sig.public_key().clone());
    if key.verify(NAMESPACE, bytes, &sig).is_err() {
        return invalid("does not verify over this file (made over other bytes)".into());
    }
    match signers.signer(sig.public_key()) {
        Some(signer) => Verification::Verified {
            signer: signer.to_string(),
        },
        None => Verification::UnknownKey {
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
        },
    }
}

/// What the signature beside the result file at `path` says about the file's bytes.
pub fn verify(signers: &AllowedSigners, path: &Path) -> Verification {
    let sig_path = signature_path(path);
    if std::fs::symlink_metadata(&sig_path).is_err() {
        return Verification::Unsigned;
    }
    match (read_regular(path), read_regular(&sig_path)) {
        (Ok(bytes), Ok(sig)) => verify_bytes(signers, &bytes, &sig),
        (_, Err(e)) | (Err(e), _) => Verification::Invalid {
            reason: format!("cannot be read: {e}"),
        },
    }
}

/// The armoured chipbench signature of `bytes` by the OpenSSH Ed25519 private key at `key`.
/// A key protected by a passphrase is refused with the `ssh-keygen` command that signs with
/// it (its signature is accepted the same way).
pub fn sign(key: &Path, bytes: &[u8]) -> Result<String, SignatureError> {
    let error = |message: String| SignatureError::Key {
        path: key.display().to_string(),
        message,
    };
    let text = read_regular(key).map_err(error)?;
    let private = PrivateKey::from_openssh(&text)
        .map_err(|e| error(format!("not an OpenSSH private key ({e})")))?;
    if private.is_encrypted() {
        return Err(error(format!(
            "protected by a passphrase: sign with `ssh-keygen -Y sign -n {NAMESPACE} -f {} FILE` \
             and add FILE (its FILE.sig comes along)",
            key.display()
        )));
    }
    if private.algorithm() != ssh_key::Algorithm::Ed25519 {
        return Err(error(
            "not an Ed25519 key (make one with `ssh-keygen -t ed25519`)".into(),
        ));
    }
    private
        .sign(NAMESPACE, HashAlg::Sha512, bytes)
        .and_then(|s| s.to_pem(LineEnding::LF))
        .map_err(|e| error(format!("signing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::private::Ed25519Keypair;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
    }

    fn listed(name: &str, k: &PrivateKey) -> String {
        format!("{name} {}", k.public_key().to_openssh().unwrap())
    }

    fn sig(k: &PrivateKey, ns: &str, bytes: &[u8]) -> Vec<u8> {
        k.sign(ns, HashAlg::Sha512, bytes)
            .unwrap()
            .to_pem(LineEnding::LF)
            .unwrap()
            .into_bytes()
    }

    #[test]
    fn a_listed_key_verifies_its_own_bytes_only() {
        let (alice, mallory) = (key(1), key(2));
        let signers = AllowedSigners::parse(&listed("alice@lab", &alice), "t").unwrap();
        let ok = sig(&alice, NAMESPACE, b"file one");
        assert_eq!(
            verify_bytes(&signers, b"file one", &ok).signer(),
            Some("alice@lab")
        );
        assert!(matches!(
            verify_bytes(&signers, b"file two", &ok),
            Verification::Invalid { .. }
        ));
        let unknown = sig(&mallory, NAMESPACE, b"file one");
        assert!(matches!(
            verify_bytes(&signers, b"file one", &unknown),
            Verification::UnknownKey { .. }
        ));
        let git = sig(&alice, "git", b"file one");
        assert!(matches!(
            verify_bytes(&signers, b"file one", &git),
            Verification::Invalid { reason } if reason.contains("namespace")
        ));
        assert!(matches!(
            verify_bytes(&signers, b"x", b"not a signature"),
            Verification::Invalid { .. }
        ));
    }

    #[test]
    fn the_list_is_parsed_strictly() {
        let (a, b) = (key(1), key(2));
        let pub_a = a.public_key().to_openssh().unwrap();
        let text = format!(
            "# maintainers\n\nalice@lab,alice@home {pub_a} laptop\n\
             bob namespaces=\"git,file\" {}\n",
            b.public_key().to_openssh().unwrap()
        );
        let s = AllowedSigners::parse(&text, "t").unwrap();
        assert_eq!(s.signer(a.public_key().key_data()), Some("alice@lab"));
        // Bob's key is for git only.
        assert_eq!(s.signer(b.public_key().key_data()), None);
        // One signer whatever the letter case: two keys of "Alice" and "ALICE" are one signer's.
        let pub_b = b.public_key().to_openssh().unwrap();
        let cased = AllowedSigners::parse(&format!("Alice {pub_a}\nALICE {pub_b}"), "t").unwrap();
        assert_eq!(cased.signer(a.public_key().key_data()), Some("alice"));
        assert_eq!(cased.signer(b.public_key().key_data()), Some("alice"));
        let ours = format!("carol namespaces=\"chipbench\" {pub_a}");
        assert!(AllowedSigners::parse(&ours, "t").unwrap().keys.len() == 1);
        for bad in [
            format!("x {pub_a}\ny {pub_a}"),
            format!("x cert-authority {pub_a}"),
            "x ssh-rsa AAAAB3NzaC1yc2E".to_string(),
            "x ssh-ed25519 !!!".to_string(),
            "lonely".to_string(),
            format!("x\u{0}y {pub_a}"),
            format!("x\u{200b} {pub_a}"),
            format!("\u{430}lice {pub_a}"),
        ] {
            let e = AllowedSigners::parse(&bad, "list").unwrap_err().to_string();
            assert!(e.starts_with("list line "), "{bad}: {e}");
        }
    }
}
