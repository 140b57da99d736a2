//! Writing output files atomically: a reader (or a crash) never sees a half-written file.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// Writes `path` through `write`: the content goes to a temporary file in the same folder, is flushed to disk,
/// and is renamed over `path` only when complete. On any error the temporary file is removed and `path` is left
/// as it was. A target that exists and is not a regular file (`/dev/null`, a named pipe) is written directly:
/// renaming over it would replace the device.
pub fn write_atomically<F>(path: &Path, write: F) -> io::Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> io::Result<()>,
{
    if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut out = BufWriter::new(fs::OpenOptions::new().write(true).open(path)?);
        write(&mut out)?;
        return out.into_inner().map_err(io::IntoInnerError::into_error).map(drop);
    }
    let temporary = temporary_path(path);
    let result = (|| {
        let mut out = BufWriter::with_capacity(1 << 16, File::create(&temporary)?);
        write(&mut out)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// `dir/.name.clv-tmp-PID`: hidden, beside the target (so the rename stays on one file system), unique per
/// process.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    path.with_file_name(format!(".{name}.clv-tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_failed_write_leaves_nothing_and_the_old_file_intact() {
        let dir = std::env::temp_dir().join(format!("clv-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.csv");
        write_atomically(&target, |w| w.write_all(b"old")).unwrap();
        let failed = write_atomically(&target, |w| {
            w.write_all(b"new, partial")?;
            Err(io::Error::other("stopped"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "the temporary file is removed");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn a_device_is_written_to_not_replaced() {
        let null = Path::new("/dev/null");
        write_atomically(null, |w| w.write_all(b"discarded")).unwrap();
        assert!(!fs::metadata(null).unwrap().is_file(), "/dev/null is still a device");
    }
}
