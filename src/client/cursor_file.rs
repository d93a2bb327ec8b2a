//! `env sync --cursor-file`: the cursor a sync round starts from, read from its file, and the
//! next round's cursor written in its place atomically, so that the file always holds a whole
//! cursor: the old one until the new round has been printed in full, then the new one.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::failure::Failure;

/// The cursor stored in `path`; none when there is no file (or only blank space in it), which
/// starts a full round: repeating everything is safe, skipping a round is not.
pub fn read(path: &Path) -> Result<Option<String>, Failure> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.trim().to_string()).filter(|c| !c.is_empty())),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure::usage(format!("cannot read the cursor file {}: {e}", path.display()))),
    }
}

/// Replaces `path` with `cursor`: a file of its own in the same directory, written and synced,
/// then renamed over `path` (and the directory synced), so that a crash leaves either file whole.
pub fn replace(path: &Path, cursor: &str) -> Result<(), Failure> {
    let failed = |e: std::io::Error| Failure::usage(format!("cannot write the cursor file {}: {e}", path.display()));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| failed(ErrorKind::InvalidInput.into()))?;
    let temp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(&temp)?;
        file.write_all(format!("{cursor}\n").as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        File::open(&dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k3_v3_a_cursor_file_is_replaced_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cursor");
        assert_eq!(read(&path).unwrap(), None, "no file: a full round");
        replace(&path, "first").unwrap();
        replace(&path, "second").unwrap();
        assert_eq!(read(&path).unwrap().as_deref(), Some("second"));
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("cursor")], "no temporary file left");
        fs::write(&path, " \n").unwrap();
        assert_eq!(read(&path).unwrap(), None, "a blank file: a full round");
        assert!(replace(&dir.path().join("missing/cursor"), "x").is_err(), "no such directory");
    }
}
