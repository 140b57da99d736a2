//! Writing output files atomically: a reader (or a crash) never sees a half-written file; and locking a folder so
//! that two processes never write into it at once.

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
    } else {
        remove_stale_temporaries(path);
    }
    result
}

/// Removes the temporary files of `path` left by processes killed while writing it (their pid no longer runs).
fn remove_stale_temporaries(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return };
    let prefix = format!(".{}.clv-tmp-", name.to_string_lossy());
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let pid = file.strip_prefix(&prefix).and_then(|pid| pid.parse::<u32>().ok());
        if pid.is_some_and(|pid| !process_is_running(pid)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// `dir/.name.clv-tmp-PID`: hidden, beside the target (so the rename stays on one file system), unique per
/// process.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    path.with_file_name(format!(".{name}.clv-tmp-{}", std::process::id()))
}

/// An exclusive lock on an output folder: the file `DIR/.clv.lock`, created only if absent, holding the owner's
/// process id; removed when the lock is dropped. A lock whose owner is no longer running (a killed process) is
/// taken over.
#[derive(Debug)]
pub struct FolderLock {
    path: PathBuf,
}

/// Why a folder could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another running process holds the lock.
    #[error("{folder} is in use by another clv process (pid {pid}, lock file {lock}); try again when it has finished")]
    Held {
        /// The folder.
        folder: String,
        /// The holder's process id.
        pid: u32,
        /// The lock file.
        lock: String,
    },
    /// The lock file could not be created or read.
    #[error("cannot lock {folder}: {source}")]
    Io {
        /// The folder.
        folder: String,
        /// What failed.
        source: io::Error,
    },
}

/// The name of the lock file inside a locked folder.
pub const LOCK_FILE: &str = ".clv.lock";

impl FolderLock {
    /// Locks `dir` (which must exist), taking over a lock left by a process that is no longer running.
    pub fn acquire(dir: &Path) -> Result<FolderLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let folder = dir.display().to_string();
        let io = |source| LockError::Io { folder: folder.clone(), source };
        for _ in 0..2 {
            match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    use std::io::Write;
                    write!(file, "{}", std::process::id()).map_err(io)?;
                    return Ok(FolderLock { path });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<u32>().ok());
                    match holder {
                        Some(pid) if process_is_running(pid) => {
                            return Err(LockError::Held { folder, pid, lock: path.display().to_string() });
                        }
                        // Left by a process that died (or half written by one): take it over.
                        _ => fs::remove_file(&path)
                            .or_else(|e| if e.kind() == io::ErrorKind::NotFound { Ok(()) } else { Err(e) })
                            .map_err(io)?,
                    }
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(io(io::Error::other("the lock file keeps reappearing")))
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether a process with this id is running (Linux: its /proc entry exists; elsewhere assumed running, so a lock
/// is never stolen).
fn process_is_running(pid: u32) -> bool {
    if cfg!(target_os = "linux") { Path::new(&format!("/proc/{pid}")).exists() } else { true }
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
        if cfg!(target_os = "linux") {
            // A temporary left by a killed writer goes with the next write; a running writer's (pid 1) stays.
            let (dead, running) = (dir.join(".out.csv.clv-tmp-4294967294"), dir.join(".out.csv.clv-tmp-1"));
            fs::write(&dead, "half").unwrap();
            fs::write(&running, "in progress").unwrap();
            write_atomically(&target, |w| w.write_all(b"newer")).unwrap();
            assert!(!dead.exists());
            assert!(running.exists());
            fs::remove_file(&running).unwrap();
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_is_locked_once_and_a_dead_owner_s_lock_is_taken_over() {
        let dir = std::env::temp_dir().join(format!("clv-lock-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let lock = FolderLock::acquire(&dir).unwrap();
        assert!(matches!(FolderLock::acquire(&dir), Err(LockError::Held { pid, .. }) if pid == std::process::id()));
        drop(lock);
        assert!(!dir.join(LOCK_FILE).exists(), "released on drop");
        if cfg!(target_os = "linux") {
            fs::write(dir.join(LOCK_FILE), "4294967294").unwrap();
            let taken = FolderLock::acquire(&dir).unwrap();
            assert_eq!(fs::read_to_string(dir.join(LOCK_FILE)).unwrap(), std::process::id().to_string());
            drop(taken);
        }
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
