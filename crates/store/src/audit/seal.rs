//! What seals the audit chain: the algorithm of each record, and the key kept outside the
//! database that the keyed algorithms need.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sha2::digest::Update;
use sm3::Sm3;
use std::path::{Path, PathBuf};

/// How one record's hash was computed, stored with the record (`audit_log.alg`) so that a
/// chain written by older versions keeps verifying after the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// Plain SHA-256 with no key: records written before the chain was keyed. Anyone who can
    /// write the database can recompute it, so it is accepted only before the first keyed record.
    Sha256,
    /// HMAC-SHA-256 with the audit key.
    HmacSha256,
    /// HMAC-SM3 (GB/T 32905) with the audit key, for deployments that require national algorithms.
    HmacSm3,
}

impl Alg {
    pub fn code(self) -> &'static str {
        match self {
            Alg::Sha256 => "sha256",
            Alg::HmacSha256 => "hmac-sha256",
            Alg::HmacSm3 => "hmac-sm3",
        }
    }

    pub fn parse(code: &str) -> Option<Alg> {
        [Alg::Sha256, Alg::HmacSha256, Alg::HmacSm3]
            .into_iter()
            .find(|a| a.code() == code)
    }

    pub fn keyed(self) -> bool {
        self != Alg::Sha256
    }
}

/// The hash function new records are sealed with (the setting `QCITY_AUDIT_HASH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashChoice {
    #[default]
    Sha256,
    /// SM3 (GB/T 32905-2016).
    Sm3,
}

impl std::str::FromStr for HashChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Ok(HashChoice::Sha256),
            "sm3" => Ok(HashChoice::Sm3),
            other => Err(format!("`{other}` is not an audit hash; use sha256 or sm3")),
        }
    }
}

/// Where the key came from, for the operator's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    None,
    Env,
    File(PathBuf),
    /// A key file written just now (the first start).
    NewFile(PathBuf),
}

/// The audit key, the hash for new records and the anchor file. The app opens it from the data
/// directory ([`Seal::open`]); a store without one ([`Seal::unkeyed`], tests and tools) writes
/// the unkeyed records of older versions and keeps no anchor.
pub struct Seal {
    key: Option<Vec<u8>>,
    hash: HashChoice,
    source: KeySource,
    pub(crate) anchor: Option<super::anchor::Anchor>,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("Seal")
            .field("alg", &self.alg())
            .field("source", &self.source)
            .field("anchor", &self.anchor_path())
            .finish()
    }
}

/// The name of the key file in the data directory.
pub const KEY_FILE: &str = "audit.key";
/// The name of the anchor file in the data directory.
pub const ANCHOR_FILE: &str = "audit.anchor";
/// The shortest key accepted from the environment.
pub const MIN_KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(
        "QCITY_AUDIT_KEY is too short ({0} characters); use at least 32, e.g. the output of `openssl rand -hex 32`"
    )]
    EnvKeyShort(usize),
    #[error("the audit key file {path} is unusable: {why}")]
    KeyFile { path: PathBuf, why: String },
}

impl Seal {
    /// No key and no anchor: new records are plain SHA-256 as in older versions.
    pub fn unkeyed() -> Seal {
        Seal {
            key: None,
            hash: HashChoice::Sha256,
            source: KeySource::None,
            anchor: None,
        }
    }

    /// A given key (text, used as its bytes), hash and optional anchor file.
    pub fn with_key(key: &str, hash: HashChoice, anchor: Option<PathBuf>) -> Seal {
        Seal {
            key: Some(key.trim().as_bytes().to_vec()),
            hash,
            source: KeySource::Env,
            anchor: anchor.map(super::anchor::Anchor::new),
        }
    }

    /// The key from `env_key` (`QCITY_AUDIT_KEY`, which wins) or from `data_dir/audit.key`,
    /// created with mode 0600 holding 32 random bytes in hex when missing; the anchor is
    /// `data_dir/audit.anchor`. The key is the text as its bytes, so the file's content may be
    /// given as `QCITY_AUDIT_KEY` on another machine.
    pub fn open(
        data_dir: &Path,
        env_key: Option<&str>,
        hash: HashChoice,
    ) -> Result<Seal, SealError> {
        let anchor = Some(super::anchor::Anchor::new(data_dir.join(ANCHOR_FILE)));
        if let Some(k) = env_key.map(str::trim).filter(|k| !k.is_empty()) {
            if k.chars().count() < MIN_KEY_LEN {
                return Err(SealError::EnvKeyShort(k.chars().count()));
            }
            return Ok(Seal {
                key: Some(k.as_bytes().to_vec()),
                hash,
                source: KeySource::Env,
                anchor,
            });
        }
        let path = data_dir.join(KEY_FILE);
        let fail = |why: String| SealError::KeyFile {
            path: path.clone(),
            why,
        };
        let (key, source) = match std::fs::read_to_string(&path) {
            Ok(text) => (text, KeySource::File(path.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match create_key_file(&path) {
                    Ok(text) => (text, KeySource::NewFile(path.clone())),
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => (
                        std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?,
                        KeySource::File(path.clone()),
                    ),
                    Err(e) => return Err(fail(e.to_string())),
                }
            }
            Err(e) => return Err(fail(e.to_string())),
        };
        let key = key.trim();
        if key.chars().count() < MIN_KEY_LEN {
            return Err(fail(format!(
                "it holds {} characters, at least {MIN_KEY_LEN} are needed",
                key.chars().count()
            )));
        }
        warn_if_readable_by_others(&path);
        Ok(Seal {
            key: Some(key.as_bytes().to_vec()),
            hash,
            source,
            anchor,
        })
    }

    /// The algorithm new records are sealed with.
    pub fn alg(&self) -> Alg {
        match (&self.key, self.hash) {
            (None, _) => Alg::Sha256,
            (Some(_), HashChoice::Sha256) => Alg::HmacSha256,
            (Some(_), HashChoice::Sm3) => Alg::HmacSm3,
        }
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }

    pub fn anchor_path(&self) -> Option<&Path> {
        self.anchor.as_ref().map(|a| a.path())
    }

    /// The hash of `fields` under `alg` in hex; `None` when `alg` needs a key this seal lacks.
    /// Every field goes in with its length first, so no choice of contents makes two different
    /// records hash the same; keyed records also seal the algorithm's name.
    pub(crate) fn digest(&self, alg: Alg, fields: &[&str]) -> Option<String> {
        fn feed(u: &mut impl Update, fields: &[&str]) {
            for f in fields {
                u.update(&(f.len() as u64).to_le_bytes());
                u.update(f.as_bytes());
            }
        }
        let with_alg = |u: &mut dyn FnMut(&[&str])| {
            let mut all = Vec::with_capacity(fields.len() + 1);
            all.push(alg.code());
            all.extend_from_slice(fields);
            u(&all);
        };
        match alg {
            Alg::Sha256 => {
                let mut h = <Sha256 as sha2::Digest>::new();
                feed(&mut h, fields);
                Some(super::hex(&sha2::Digest::finalize(h)))
            }
            Alg::HmacSha256 => {
                let mut m = Hmac::<Sha256>::new_from_slice(self.key.as_deref()?)
                    .expect("HMAC takes a key of any length");
                with_alg(&mut |all| feed(&mut m, all));
                Some(super::hex(&m.finalize().into_bytes()))
            }
            Alg::HmacSm3 => {
                let mut m = Hmac::<Sm3>::new_from_slice(self.key.as_deref()?)
                    .expect("HMAC takes a key of any length");
                with_alg(&mut |all| feed(&mut m, all));
                Some(super::hex(&m.finalize().into_bytes()))
            }
        }
    }
}

/// Writes a new key file atomically: the whole key under a temporary name with mode 0600, then
/// linked to its name, which fails if another process got there first.
fn create_key_file(path: &Path) -> std::io::Result<String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).expect("the operating system's random source is unavailable");
    let text = super::hex(&raw);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(format!("{text}\n").as_bytes())?;
        f.sync_all()?;
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    linked?;
    tracing::info!(path = %path.display(), "created the audit key");
    Ok(text)
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "the audit key is readable by others; chmod 600 it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_gives_the_gb_t_32905_vector() {
        // GB/T 32905-2016, appendix A.1: "abc".
        let d = <Sm3 as sha2::Digest>::digest(b"abc");
        assert_eq!(
            super::super::hex(&d),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        // Appendix A.2: "abcd" sixteen times.
        let d = <Sm3 as sha2::Digest>::digest("abcd".repeat(16).as_bytes());
        assert_eq!(
            super::super::hex(&d),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn the_algorithms_differ_and_need_the_key() {
        let fields = ["a", "b"];
        let keyed = Seal::with_key(&"k".repeat(32), HashChoice::Sha256, None);
        let other = Seal::with_key(&"j".repeat(32), HashChoice::Sha256, None);
        let plain = keyed.digest(Alg::Sha256, &fields).unwrap();
        let mac = keyed.digest(Alg::HmacSha256, &fields).unwrap();
        let sm3 = keyed.digest(Alg::HmacSm3, &fields).unwrap();
        assert_eq!(mac.len(), 64);
        assert_eq!(sm3.len(), 64);
        assert!(plain != mac && mac != sm3 && plain != sm3);
        assert_ne!(other.digest(Alg::HmacSha256, &fields).unwrap(), mac);
        assert_eq!(Seal::unkeyed().digest(Alg::HmacSha256, &fields), None);
        assert_eq!(Seal::unkeyed().digest(Alg::Sha256, &fields), Some(plain));
        assert_eq!(keyed.alg(), Alg::HmacSha256);
        assert_eq!(
            Seal::with_key(&"k".repeat(32), HashChoice::Sm3, None).alg(),
            Alg::HmacSm3
        );
        assert_eq!(Seal::unkeyed().alg(), Alg::Sha256);
        for a in [Alg::Sha256, Alg::HmacSha256, Alg::HmacSm3] {
            assert_eq!(Alg::parse(a.code()), Some(a));
        }
    }

    #[test]
    fn the_key_file_is_created_private_once_and_the_environment_wins() {
        let dir = std::env::temp_dir().join(format!("qcity-seal-{}", crate::auth::random_token()));
        let first = Seal::open(&dir, None, HashChoice::Sha256).unwrap();
        assert!(matches!(first.source(), KeySource::NewFile(_)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = Seal::open(&dir, None, HashChoice::Sha256).unwrap();
        assert!(matches!(again.source(), KeySource::File(_)));
        assert_eq!(
            first.digest(Alg::HmacSha256, &["x"]),
            again.digest(Alg::HmacSha256, &["x"])
        );
        // The file's text given as QCITY_AUDIT_KEY is the same key.
        let text = std::fs::read_to_string(dir.join(KEY_FILE)).unwrap();
        let env = Seal::open(&dir, Some(&text), HashChoice::Sha256).unwrap();
        assert_eq!(env.source(), &KeySource::Env);
        assert_eq!(
            env.digest(Alg::HmacSha256, &["x"]),
            first.digest(Alg::HmacSha256, &["x"])
        );
        let other = Seal::open(&dir, Some(&"z".repeat(40)), HashChoice::Sha256).unwrap();
        assert_ne!(
            other.digest(Alg::HmacSha256, &["x"]),
            first.digest(Alg::HmacSha256, &["x"])
        );
        assert!(matches!(
            Seal::open(&dir, Some("short"), HashChoice::Sha256),
            Err(SealError::EnvKeyShort(5))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
