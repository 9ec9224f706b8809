//! Where evidence files' bytes are kept: in the database row (the default, seen by every app
//! server and carried by backups), in the data directory, or in an S3-compatible bucket (for
//! several app servers without a shared disk). Set by `QCITY_EVIDENCE_STORE`:
//!
//! | setting | where |
//! |---|---|
//! | `database` (default) | `evidence_files.data` |
//! | `dir` | `<data dir>/evidence/` (one app server, or a data directory on a shared mount) |
//! | `file:///srv/qcity` | `/srv/qcity/evidence/` |
//! | `s3://BUCKET?endpoint=http://127.0.0.1:5000&region=us-east-1` | an S3-compatible bucket; credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` |
//!
//! Objects are keyed by content, `evidence/<sha256>`, so writing a file twice (two requests,
//! or a transaction that rolled back and was sent again) writes the same object. Each
//! `evidence_files` row says where its bytes are (`stored`: `db` or `objects`), so rows written
//! before a change of setting keep being read from where they are.

use crate::{Result, StoreError};
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;
use std::path::Path;
use std::sync::Arc;

/// `evidence_files.stored` of a row whose bytes are in its `data` column.
pub const IN_DATABASE: &str = "db";
/// `evidence_files.stored` of a row whose bytes are in the object store (`data` is empty).
pub const IN_OBJECTS: &str = "objects";

/// The configured place for new evidence bytes.
#[derive(Clone)]
pub enum EvidenceStore {
    /// In the row.
    Database,
    /// In an object store (a directory or a bucket); `describe` names it for logs, without
    /// credentials.
    Objects {
        objects: Arc<dyn ObjectStore>,
        describe: String,
    },
}

impl std::fmt::Debug for EvidenceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl EvidenceStore {
    /// Reads a `QCITY_EVIDENCE_STORE` setting; `data_dir` is where `dir` keeps its files. The
    /// error says what is wrong in words, for the operator.
    pub fn open(setting: &str, data_dir: &Path) -> std::result::Result<EvidenceStore, String> {
        let setting = setting.trim();
        match setting {
            "" | "database" | "db" => Ok(EvidenceStore::Database),
            "dir" => directory(data_dir),
            _ => {
                if let Some(path) = setting.strip_prefix("file://") {
                    if !path.starts_with('/') {
                        return Err(format!(
                            "`{setting}`: a file:// evidence store needs an absolute path (file:///srv/qcity)"
                        ));
                    }
                    directory(Path::new(path))
                } else if setting.starts_with("s3://") {
                    s3(setting)
                } else {
                    Err(format!(
                        "`{setting}` is not an evidence store: use database, dir, file:///PATH or s3://BUCKET?endpoint=URL&region=REGION"
                    ))
                }
            }
        }
    }

    /// The store in words, for logs and the start-up line.
    pub fn describe(&self) -> String {
        match self {
            EvidenceStore::Database => "database".into(),
            EvidenceStore::Objects { describe, .. } => describe.clone(),
        }
    }

    /// What `evidence_files.stored` says for a file written now.
    pub fn stored(&self) -> &'static str {
        match self {
            EvidenceStore::Database => IN_DATABASE,
            EvidenceStore::Objects { .. } => IN_OBJECTS,
        }
    }

    /// Writes a file's bytes under its hash (nothing to do when they go in the row).
    pub async fn put(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        let EvidenceStore::Objects { objects, describe } = self else {
            return Ok(());
        };
        objects
            .put(&key(sha256)?, bytes.to_vec().into())
            .await
            .map_err(|e| unavailable(describe, &e))?;
        Ok(())
    }

    /// The bytes of a row: from the row itself, or from the object store when the row says so.
    pub async fn read(&self, sha256: &str, stored: &str, data: Vec<u8>) -> Result<Vec<u8>> {
        if stored != IN_OBJECTS {
            return Ok(data);
        }
        let EvidenceStore::Objects { objects, describe } = self else {
            // Written while an object store was configured, read without one.
            return Err(StoreError::Evidence(format!(
                "evidence file {sha256} is kept in an object store, but QCITY_EVIDENCE_STORE is `database`"
            )));
        };
        let got = objects
            .get(&key(sha256)?)
            .await
            .map_err(|e| unavailable(describe, &e))?;
        let bytes = got.bytes().await.map_err(|e| unavailable(describe, &e))?;
        Ok(bytes.to_vec())
    }
}

/// The object key of a file's bytes. Only a SHA-256 in hex names an object, so no other key
/// (and no other file of a directory store) can be reached through it.
fn key(sha256: &str) -> Result<ObjectPath> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::Evidence(format!(
            "`{sha256}` is not a SHA-256 in hex"
        )));
    }
    Ok(ObjectPath::from(format!("evidence/{sha256}")))
}

fn unavailable(describe: &str, e: &object_store::Error) -> StoreError {
    StoreError::Evidence(format!("{describe}: {e}"))
}

fn directory(path: &Path) -> std::result::Result<EvidenceStore, String> {
    std::fs::create_dir_all(path).map_err(|e| {
        format!(
            "cannot create the evidence directory {}: {e}",
            path.display()
        )
    })?;
    let fs = object_store::local::LocalFileSystem::new_with_prefix(path)
        .map_err(|e| format!("cannot use the evidence directory {}: {e}", path.display()))?;
    Ok(EvidenceStore::Objects {
        objects: Arc::new(fs),
        describe: format!("directory {}", path.display()),
    })
}

/// `s3://BUCKET[?endpoint=URL][&region=REGION]`; the rest (credentials, and the endpoint and
/// region when not given here) from the usual `AWS_*` environment variables.
fn s3(setting: &str) -> std::result::Result<EvidenceStore, String> {
    let url = url::Url::parse(setting).map_err(|e| format!("`{setting}`: {e}"))?;
    let bucket = url.host_str().unwrap_or_default();
    if bucket.is_empty() || !url.path().trim_matches('/').is_empty() {
        return Err(format!(
            "`{setting}`: name the bucket alone, as s3://BUCKET?endpoint=URL&region=REGION"
        ));
    }
    let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
    let mut endpoint = std::env::var("AWS_ENDPOINT_URL")
        .or_else(|_| std::env::var("AWS_ENDPOINT"))
        .ok();
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "endpoint" => endpoint = Some(value.to_string()),
            "region" => builder = builder.with_region(value.as_ref()),
            other => {
                return Err(format!(
                    "`{setting}`: unknown setting `{other}` (endpoint and region are known; credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
                ));
            }
        }
    }
    let mut describe = format!("s3://{bucket}");
    if let Some(e) = &endpoint {
        // A local or in-house server (MinIO, moto, an OSS S3 endpoint) is often plain http.
        builder = builder
            .with_endpoint(e.as_str())
            .with_allow_http(e.starts_with("http://"));
        describe.push_str(&format!(" at {e}"));
    }
    let objects = builder.build().map_err(|e| format!("`{setting}`: {e}"))?;
    Ok(EvidenceStore::Objects {
        objects: Arc::new(objects),
        describe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_or_refused_with_the_reason() {
        let dir = std::env::temp_dir().join(format!("qcity-evidence-{}", std::process::id()));
        assert_eq!(
            EvidenceStore::open("database", &dir).unwrap().stored(),
            IN_DATABASE
        );
        assert_eq!(EvidenceStore::open("", &dir).unwrap().stored(), IN_DATABASE);
        let s3 = EvidenceStore::open(
            "s3://qcity-evidence?endpoint=http://127.0.0.1:5000&region=us-east-1",
            &dir,
        )
        .unwrap();
        assert_eq!(s3.stored(), IN_OBJECTS);
        assert_eq!(
            s3.describe(),
            "s3://qcity-evidence at http://127.0.0.1:5000"
        );
        for (bad, says) in [
            ("ftp://x", "is not an evidence store"),
            ("file://relative/path", "absolute path"),
            ("s3://", "name the bucket"),
            ("s3://b/sub", "name the bucket"),
            ("s3://b?secret=x", "unknown setting `secret`"),
        ] {
            let e = EvidenceStore::open(bad, &dir).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_directory_keeps_files_by_hash_and_rows_in_the_database_still_read() {
        let dir = std::env::temp_dir().join(format!("qcity-evidence-rw-{}", std::process::id()));
        let store = EvidenceStore::open("dir", &dir).unwrap();
        let sha = "ab".repeat(32);
        store.put(&sha, b"%PDF-1.4 x").await.unwrap();
        assert!(dir.join("evidence").join(&sha).is_file());
        assert_eq!(
            store.read(&sha, IN_OBJECTS, Vec::new()).await.unwrap(),
            b"%PDF-1.4 x"
        );
        // Only a hash names an object: nothing else in the directory is reached.
        std::fs::write(dir.join("audit.key"), b"secret").unwrap();
        for bad in ["../audit.key", "abc123", &"zz".repeat(32)] {
            assert!(matches!(
                store.read(bad, IN_OBJECTS, Vec::new()).await,
                Err(StoreError::Evidence(_))
            ));
            assert!(store.put(bad, b"x").await.is_err());
        }
        // A row written before the setting changed has its bytes in the row.
        assert_eq!(
            store
                .read("old", IN_DATABASE, b"old bytes".to_vec())
                .await
                .unwrap(),
            b"old bytes"
        );
        // A missing object is an error, not empty bytes.
        assert!(matches!(
            store.read(&"cd".repeat(32), IN_OBJECTS, Vec::new()).await,
            Err(StoreError::Evidence(_))
        ));
        // Without an object store, a row kept in one cannot be read: said, not guessed.
        assert!(matches!(
            EvidenceStore::Database
                .read(&sha, IN_OBJECTS, Vec::new())
                .await,
            Err(StoreError::Evidence(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
