//! The anchor: an append-only text file beside the audit key holding copies of the chain's head
//! (count and hash), so that removing the newest records and rewinding the head in the database
//! (truncate and rewind) no longer goes unnoticed.
//!
//! One line per checkpoint, `checkpoint SEQ HASH TIME`, written only when the head has moved:
//! the server checkpoints every [`INTERVAL`] and on shutdown, every command that opened the
//! database at its end, and a restore writes `restore SEQ HASH TIME`, which starts a new chain
//! (lines before it belong to the database the restore replaced). A line per record would need
//! a hook after every commit of every caller; a checkpoint costs one one-row read and, when the
//! head moved, one appended line of about 100 bytes (at most 8,640 a day at this interval), and
//! leaves unanchored at most the records of the last interval. Lines are only ever appended and
//! only for heads already committed, so the anchor is never ahead of the database.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How often the server checkpoints.
pub const INTERVAL: Duration = Duration::from_secs(10);

const HEADER: &str = "# QCity audit anchor: `checkpoint|restore SEQ HASH TIME`, appended only. See the README, \"Audit trail\".\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Checkpoint,
    Restore,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Checkpoint => "checkpoint",
            Kind::Restore => "restore",
        }
    }
}

/// The anchored head the database is compared with: the highest line since the last restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    pub line: usize,
}

#[derive(Debug)]
pub(crate) struct Anchor {
    path: PathBuf,
    /// The head this process last wrote or read, so an unchanged head writes nothing.
    last: Mutex<Option<(i64, String)>>,
}

impl Anchor {
    pub(crate) fn new(path: PathBuf) -> Anchor {
        Anchor {
            path,
            last: Mutex::new(None),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The mark to compare with; `Ok(None)` when the file does not exist or holds no line yet.
    pub(crate) fn read(&self) -> std::io::Result<Option<Mark>> {
        let f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut mark: Option<Mark> = None;
        for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line?;
            let line_no = i + 1;
            let text = line.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let bad = || {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("line {line_no} is not `checkpoint|restore SEQ HASH TIME`"),
                )
            };
            let mut parts = text.split_whitespace();
            let kind = match parts.next() {
                Some("checkpoint") => Kind::Checkpoint,
                Some("restore") => Kind::Restore,
                _ => return Err(bad()),
            };
            let seq: i64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
            let hash = parts.next().ok_or_else(bad)?.to_string();
            let at = parts.next().unwrap_or_default().to_string();
            let this = Mark {
                seq,
                hash,
                at,
                line: line_no,
            };
            // A restore starts over; otherwise the highest head wins (two processes may append
            // out of order).
            if kind == Kind::Restore || mark.as_ref().is_none_or(|m| seq > m.seq) {
                mark = Some(this);
            }
        }
        Ok(mark)
    }

    /// True when one of the last lines of the file anchors `(seq, hash)`: a read of at most
    /// 4 KiB however long the file has grown.
    fn tail_has(&self, seq: i64, hash: &str) -> std::io::Result<bool> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(4096)))?;
        let mut tail = Vec::new();
        f.read_to_end(&mut tail)?;
        let wanted = format!(" {seq} {hash} ");
        Ok(String::from_utf8_lossy(&tail).lines().any(|l| {
            (l.starts_with(Kind::Checkpoint.word()) || l.starts_with(Kind::Restore.word()))
                && l.contains(&wanted)
        }))
    }

    /// Appends one line in a single write and flushes it to disk.
    pub(crate) fn append(&self, kind: Kind, seq: i64, hash: &str) -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = options.open(&self.path)?;
        let mut line = String::new();
        if f.metadata()?.len() == 0 {
            line.push_str(HEADER);
        }
        line.push_str(&format!(
            "{} {seq} {hash} {}\n",
            kind.word(),
            crate::now_text()
        ));
        f.write_all(line.as_bytes())?;
        f.sync_data()?;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((seq, hash.to_string()));
        Ok(())
    }

    /// Appends a checkpoint for the committed head `(seq, hash)` unless the anchor already has
    /// it. A head behind the anchor or differing from it at the same count is not written (the
    /// anchor keeps the evidence; `audit verify` reports it) but logged.
    pub(crate) fn checkpoint(&self, seq: i64, hash: &str) -> std::io::Result<bool> {
        let known = self.last.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let known = match known {
            Some(k) => Some(k),
            None => self.read()?.map(|m| (m.seq, m.hash)),
        };
        match known {
            None if seq == 0 => Ok(false),
            Some((s, h)) if s == seq && h == hash => {
                *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((s, h));
                Ok(false)
            }
            Some((s, _)) if s >= seq => {
                tracing::warn!(
                    anchored = s,
                    database = seq,
                    anchor = %self.path.display(),
                    "the audit head in the database is behind or differs from the anchor; run `qcity audit verify`"
                );
                Ok(false)
            }
            // Another process (a command beside the server) may have anchored it already.
            _ if self.tail_has(seq, hash)? => {
                *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((seq, hash.into()));
                Ok(false)
            }
            _ => {
                self.append(Kind::Checkpoint, seq, hash)?;
                Ok(true)
            }
        }
    }
}
